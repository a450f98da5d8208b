import type pg from 'pg'
import type { BenchResult } from './run.js'

/**
 * A depeg signal on USDC concerns every benchmark user (all follow `depeg` and
 * hold USDC in their latest snapshots). API figure: `recordSignal` (signal,
 * set-based fan-out, one `alert.created` event per alert) — in-process, the
 * HTTP part of one request is negligible here. Baseline: a bare INSERT ... SELECT
 * writing the same alert rows (same users, same channels) from a plain list of
 * user ids, in the same run.
 */
export default {
  name: 'fanout',
  async run(pool: pg.Pool): Promise<BenchResult> {
    const { recordSignal } = await import('#services/signals/record_signal')
    const { DateTime } = await import('luxon')

    const started = performance.now()
    const result = await recordSignal({
      type: 'depeg',
      asset: 'USDC',
      severity: 'high',
      data: { priceUsd: '0.97' },
      detectedAt: DateTime.utc().minus({ seconds: Math.floor(Math.random() * 1e6) }),
    })
    const apiSeconds = (performance.now() - started) / 1000
    const alerts = result.alertsCreated

    const client = await pool.connect()
    let baseSeconds: number
    try {
      const { rows } = await client.query(
        `insert into signals (type, asset, severity, detected_at) values ('depeg', 'DAI', 'high', now()) returning id`
      )
      const ids = (
        await client.query(`select distinct user_id from alerts where signal_id = $1`, [
          result.signal.id,
        ])
      ).rows.map((r) => r.user_id)
      const t0 = performance.now()
      await client.query(
        `insert into alerts (user_id, signal_id, type, severity, channel, message, metadata, status, sent_at)
         select u, $2::uuid, 'depeg', 'high', c, '[HIGH] Depeg on USDC: priceUsd 0.97', '{"asset":"USDC"}',
                case when c = 'in_app' then 'sent' else 'pending' end, case when c = 'in_app' then now() end
         from unnest($1::uuid[]) u cross join (values ('in_app'), ('telegram')) ch(c)`,
        [ids, rows[0].id]
      )
      baseSeconds = (performance.now() - t0) / 1000
    } finally {
      client.release()
    }
    const ratio = baseSeconds / apiSeconds
    return {
      metric: `one signal fanning out to ${alerts} alerts (incl. ${alerts} alert.created events); seconds api ${apiSeconds.toFixed(2)} vs bare ${baseSeconds.toFixed(2)}`,
      api: Math.round(alerts / apiSeconds),
      baseline: Math.round(alerts / baseSeconds),
      baselineName: 'bare INSERT ... SELECT from a list of user ids (alerts/s)',
      ratio,
      target: '≥ 0.70',
      pass: ratio >= 0.7,
    }
  },
}
