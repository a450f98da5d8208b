import type pg from 'pg'
import type { BenchResult } from './run.js'

/**
 * 10,000 pending Telegram alerts for 10,000 chats (BENCH_DELIVERY_ALERTS to
 * change it), drained by our sender against a local fake Bot API server that
 * enforces Telegram's limits. Throughput is compared with the ceiling it must
 * respect, 30 messages/s per bot (the baseline, not a measurement), and every
 * 429 the fake had to give us is counted: there must be none.
 */
export default {
  name: 'delivery',
  async run(pool: pg.Pool): Promise<BenchResult> {
    const { FakeTelegram } = await import('#tests/helpers/fake_telegram')
    const { default: delivery } = await import('#config/delivery')
    const { drainChannel } = await import('#services/delivery/deliver_alerts')
    const n = Number(process.env.BENCH_DELIVERY_ALERTS ?? 10_000)
    const CEILING = 30

    const telegram = await new FakeTelegram().start()
    delivery.telegram.apiRoot = telegram.url
    delivery.telegram.botToken ??= '1:BENCH'

    await pool.query(`delete from alerts where type = 'bench_delivery'`)
    await pool.query(
      `insert into users (wallet_address, telegram_chat_id, preferences)
       select '0xde' || lpad(to_hex(g), 38, '0'), 5000000000 + g,
              '{"notificationChannels": ["telegram", "in_app"]}'::jsonb
       from generate_series(1, $1::int) g
       on conflict (wallet_address) do nothing`,
      [n]
    )
    await pool.query(
      `insert into alerts (user_id, type, severity, channel, message, status)
       select id, 'bench_delivery', 'high', 'telegram', 'Depeg on USDC: 0.97 <bench>', 'pending'
       from users where wallet_address like '0xde%' order by wallet_address limit $1`,
      [n]
    )

    const started = performance.now()
    let sent = 0
    while (sent < n) {
      const result = await drainChannel('telegram', 3_600_000)
      sent += result.sent
      if (!result.more && result.sent === 0) break
    }
    const seconds = (performance.now() - started) / 1000
    await telegram.stop()

    const { rows } = await pool.query(
      `select status, count(*)::int as n from alerts where type = 'bench_delivery' group by status`
    )
    const byStatus = Object.fromEntries(rows.map((r) => [r.status, r.n]))
    const rate = (byStatus.sent ?? 0) / seconds
    const ratio = rate / CEILING
    return {
      metric: `${n} Telegram alerts to ${n} chats: ${JSON.stringify(byStatus)} in ${seconds.toFixed(1)} s; 429s caused by us: ${telegram.limitViolations}; sendMessage calls: ${telegram.sent().length}`,
      api: Number(rate.toFixed(2)),
      baseline: CEILING,
      baselineName: "Telegram's ceiling, messages/s per bot",
      ratio,
      target: '≥ 0.90 with zero 429s',
      pass: ratio >= 0.9 && telegram.limitViolations === 0 && byStatus.sent === n,
    }
  },
}
