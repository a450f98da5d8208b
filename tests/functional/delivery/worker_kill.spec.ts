import { test } from '@japa/runner'
import type { ChildProcess } from 'node:child_process'
import db from '@adonisjs/lucid/services/db'
import { UserFactory } from '#factories/user_factory'
import { truncateAll } from '#tests/helpers/database'
import { FakeTelegram } from '#tests/helpers/fake_telegram'
import { pendingAlert, waitUntil } from '#tests/helpers/alerts'
import { startWorker } from '#tests/helpers/worker'
import { integrated } from '#tests/helpers/events'

test.group('Delivery | a worker killed mid-delivery', (group) => {
  const telegram = new FakeTelegram()
  const workers: ChildProcess[] = []
  group.setup(async () => {
    await telegram.start()
    await truncateAll()
    return async () => {
      for (const w of workers) w.kill('SIGKILL')
      await telegram.stop()
      await truncateAll()
    }
  })

  test('loses nothing: every alert is sent after the crash, each recorded as sent once', async ({
    assert,
  }) => {
    const users = await UserFactory.apply('telegramLinked').createMany(12)
    const ids: string[] = []
    for (const u of users)
      ids.push(await pendingAlert(u.id, 'telegram', { message: `for ${u.id}` }))
    // Slow answers, so the kill lands while requests are in flight.
    telegram.answer('*', ...Array.from({ length: 12 }, () => ({ delayMs: 700 })))

    const env = { TELEGRAM_API_ROOT: telegram.url, DELIVERY_LEASE_MS: '3000' }
    const first = startWorker(env)
    workers.push(first)
    assert.isTrue(await waitUntil(async () => telegram.sent().length >= 3, 30_000), 'first sends')
    first.kill('SIGKILL')
    const sentBeforeCrash = (await db.from('alerts').where('status', 'sent')).length
    assert.isBelow(sentBeforeCrash, ids.length, 'the crash left work undone')

    workers.push(startWorker(env))
    assert.isTrue(
      await waitUntil(
        async () =>
          (await db.from('alerts').whereIn('id', ids).where('status', 'sent')).length ===
          ids.length,
        60_000
      ),
      'all alerts sent after the crash'
    )
    for (const u of users) {
      assert.isAtLeast(telegram.sent(u.telegramChatId!).length, 1, 'every chat got its alert')
    }
    await integrated()
    const sentEvents = await db
      .from('event_store')
      .where('event_type', 'alert.sent')
      .whereIn('aggregate_id', ids)
    assert.lengthOf(
      sentEvents,
      ids.length,
      'one alert.sent per alert, even if a message went twice'
    )
    const rows = await db.from('alerts').whereIn('id', ids)
    assert.isTrue(rows.every((r) => r.claimed_until === null && r.sent_at !== null))
  }).timeout(120_000)
})
