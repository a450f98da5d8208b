import type pg from 'pg'
import type { BenchResult } from './run.js'
import { CONTROL_ASSET, MULTI_WALLET_ASSET } from './lib/dataset.js'

const COHORT_ROUNDS = Number(process.env.BENCH_FANOUT_COHORT_ROUNDS ?? 5)

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/**
 * One signal on `asset`, fanned out by the API (`recordSignal`: signal,
 * set-based fan-out, one `alert.created` event per alert) — in-process, the
 * HTTP part of one request is negligible here — then the baseline: a bare
 * INSERT ... SELECT writing the same alert rows (same users, same channels)
 * from a plain list of user ids. Seconds of each, and the alerts written.
 */
async function fanOut(pool: pg.Pool, asset: string) {
  const { recordSignal } = await import('#services/signals/record_signal')
  const { DateTime } = await import('luxon')

  const started = performance.now()
  const result = await recordSignal({
    type: 'depeg',
    asset,
    severity: 'high',
    data: { priceUsd: '0.97' },
    detectedAt: DateTime.utc().minus({ seconds: Math.floor(Math.random() * 1e6) }),
  })
  const apiSeconds = (performance.now() - started) / 1000

  const client = await pool.connect()
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
       select u, $2::uuid, 'depeg', 'high', c, '[HIGH] Depeg on ' || $3 || ': priceUsd 0.97', jsonb_build_object('asset', $3::text),
              case when c = 'in_app' then 'sent' else 'pending' end, case when c = 'in_app' then now() end
       from unnest($1::uuid[]) u cross join (values ('in_app'), ('telegram')) ch(c)`,
      [ids, rows[0].id, asset]
    )
    const baseSeconds = (performance.now() - t0) / 1000
    return { apiSeconds, baseSeconds, alerts: result.alertsCreated, users: ids.length }
  } finally {
    client.release()
  }
}

/**
 * A depeg signal on USDC concerns every benchmark user (all follow `depeg` and
 * hold USDC in their latest snapshots): the API against the bare insert of the
 * same alerts, in the same run.
 *
 * Then users of 1 and of 20 wallets (docs/adr/0014), in the same run: a signal
 * on GHO reaches the 20-wallet cohort only (held by their 19 extra wallets'
 * newest snapshots: ~28 heads a user), one on LUSD as many one-wallet users
 * (their sign-in wallet's 2 heads). COHORT_ROUNDS of each, alternating, each
 * against its own bare insert; medians.
 */
export default {
  name: 'fanout',
  async run(pool: pg.Pool): Promise<BenchResult> {
    const all = await fanOut(pool, 'USDC')
    const ratio = all.baseSeconds / all.apiSeconds

    const cohorts = [
      { wallets: 1, asset: CONTROL_ASSET, api: [] as number[], base: [] as number[], alerts: 0 },
      {
        wallets: 20,
        asset: MULTI_WALLET_ASSET,
        api: [] as number[],
        base: [] as number[],
        alerts: 0,
      },
    ]
    for (let round = 0; round < COHORT_ROUNDS; round++) {
      for (const cohort of round % 2 === 0 ? cohorts : [...cohorts].reverse()) {
        const r = await fanOut(pool, cohort.asset)
        cohort.api.push(r.apiSeconds)
        cohort.base.push(r.baseSeconds)
        cohort.alerts = r.alerts
      }
    }
    const cohortRatios = cohorts.map((c) => {
      const [api, base] = [median(c.api), median(c.base)]
      const cohortRatio = base / api
      console.log(
        `fanout, users of ${c.wallets} wallet${c.wallets > 1 ? 's' : ''} (${c.asset}, ${c.alerts} alerts): ` +
          `ms (medians of ${c.api.length}) api ${(api * 1000).toFixed(1)} vs bare ${(base * 1000).toFixed(1)}, ratio ${cohortRatio.toFixed(2)}; ` +
          `rounds api [${c.api.map((s) => (s * 1000).toFixed(0)).join(' ')}] bare [${c.base.map((s) => (s * 1000).toFixed(0)).join(' ')}]`
      )
      return { wallets: c.wallets, alerts: c.alerts, ratio: cohortRatio }
    })
    return {
      metric:
        `one signal fanning out to ${all.alerts} alerts (incl. ${all.alerts} alert.created events); seconds api ${all.apiSeconds.toFixed(2)} vs bare ${all.baseSeconds.toFixed(2)}` +
        cohortRatios
          .map(
            (c) =>
              `; users of ${c.wallets} wallet(s) (${c.alerts} alerts): ratio ${c.ratio.toFixed(2)}`
          )
          .join(''),
      api: Math.round(all.alerts / all.apiSeconds),
      baseline: Math.round(all.alerts / all.baseSeconds),
      baselineName: 'bare INSERT ... SELECT from a list of user ids (alerts/s)',
      ratio,
      // a 4,000-alert fan-out has a fixed cost (signal row, transaction, journal row) the
      // 200,000-alert one hides: the cohorts are compared with each other, not with 0.70
      target: '≥ 0.70; the 20-wallet cohort ≥ 0.8 × the 1-wallet one',
      pass: ratio >= 0.7 && cohortRatios[1].ratio >= 0.8 * cohortRatios[0].ratio,
    }
  },
}
