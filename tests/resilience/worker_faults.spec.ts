import { test } from '@japa/runner'
import type { ChildProcess } from 'node:child_process'
import db from '@adonisjs/lucid/services/db'
import { truncateAll } from '#tests/helpers/database'
import { FakeTelegram } from '#tests/helpers/fake_telegram'
import { waitUntil } from '#tests/helpers/alerts'
import { startWorker } from '#tests/helpers/worker'

const ALERTS = Number(process.env.RESILIENCE_ALERTS ?? 5000)

/*
 * Workers are SIGKILLed again and again while alerts are delivered to a Bot API
 * server that also answers 5% 429s and 5% 502s. At the end no alert may be
 * pending: each is sent, or failed with its reason. Duplicates (a message sent
 * twice because a worker died between sending and marking) are counted.
 * The pace is raised (and the fake's rate limits off) so 5,000 alerts take
 * seconds, not the three minutes Telegram's 30/s would need.
 */
test.group('Resilience | workers killed during delivery', (group) => {
  const telegram = new FakeTelegram()
  const workers: ChildProcess[] = []
  group.setup(async () => {
    await telegram.start()
    telegram.enforceLimits = false
    telegram.chaos = { p429: 0.05, p5xx: 0.05 }
    await truncateAll()
    return async () => {
      for (const w of workers) w.kill('SIGKILL')
      await telegram.stop()
      await truncateAll()
    }
  })

  test('every alert ends sent or failed with a reason; duplicates are few', async ({ assert }) => {
    await db.rawQuery(
      `insert into users (wallet_address, telegram_chat_id, preferences)
       select '0xfa' || lpad(to_hex(g), 38, '0'), 7000000000 + g, '{"notificationChannels":["telegram"]}'
       from generate_series(1, ?::int) g`,
      [ALERTS]
    )
    await db.rawQuery(
      `insert into alerts (user_id, type, severity, channel, message, status)
       select id, 'depeg', 'high', 'telegram', 'Depeg on USDC: 0.97', 'pending'
       from users where wallet_address like '0xfa%'`
    )
    const env = {
      TELEGRAM_API_ROOT: telegram.url,
      TELEGRAM_MESSAGES_PER_SECOND: '400',
      DELIVERY_LEASE_MS: '3000',
      DELIVERY_DRAIN_BUDGET_MS: '4000',
      DELIVERY_BASE_DELAY_MS: '200',
      DELIVERY_MAX_ATTEMPTS: '8',
    }
    const started = Date.now()
    const pending = async () =>
      Number((await db.from('alerts').where('status', 'pending').count('* as n').first()).n)

    workers.push(startWorker(env), startWorker(env))
    let kills = 0
    while (Date.now() - started < 240_000 && (await pending()) > 0) {
      // A worker needs ~2.5 s to boot here: kill every 5 s so each one delivers a little.
      await new Promise((resolve) => setTimeout(resolve, 5000))
      // Kill the oldest live worker mid-flight and start a fresh one.
      const victim = workers.find((w) => w.exitCode === null && w.signalCode === null)
      if (victim && (await pending()) > 0) {
        victim.kill('SIGKILL')
        kills++
        workers.push(startWorker(env))
      }
    }
    assert.isTrue(
      await waitUntil(async () => (await pending()) === 0, 60_000),
      'nothing left pending'
    )
    const seconds = (Date.now() - started) / 1000

    const rows = await db.from('alerts').select('status').count('* as n').groupBy('status')
    const byStatus = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))
    const failedWithoutReason = await db
      .from('alerts')
      .where('status', 'failed')
      .whereNull('last_error')
      .count('* as n')
      .first()
    const duplicates = [...telegram.delivered.values()].reduce(
      (sum, n) => sum + Math.max(0, n - 1),
      0
    )
    console.log(
      `\n  resilience: ${ALERTS} alerts, ${kills} worker kills, ${seconds.toFixed(0)} s: ${JSON.stringify(byStatus)}; ` +
        `duplicates ${duplicates}; Bot API calls ${telegram.sent().length}; chats reached ${telegram.delivered.size}`
    )

    assert.equal((byStatus.sent ?? 0) + (byStatus.failed ?? 0), ALERTS)
    assert.equal(Number(failedWithoutReason.n), 0)
    assert.isAtLeast(kills, 2, 'workers were killed while delivering')
    // One alert per chat: every alert marked sent reached its chat at least once.
    assert.equal(telegram.delivered.size, byStatus.sent ?? 0)
    assert.isBelow(duplicates, ALERTS * 0.05, 'duplicates stay few')
    const sentEvents = await db
      .from('event_store')
      .where('event_type', 'alert.sent')
      .count('* as n')
      .first()
    assert.equal(Number(sentEvents.n), byStatus.sent ?? 0, 'one alert.sent per sent alert')
  }).timeout(360_000)
})
