import autocannon from 'autocannon'
import type pg from 'pg'
import type { BenchResult } from './run.js'
import { startApi } from './lib/servers.js'

const EVENTS = Number(process.env.BENCH_STATE_EVENTS ?? 10_000)
const DURATION = Number(process.env.BENCH_DURATION ?? 10)
/** One user loading their own state: one connection (BENCH_STATE_CONNECTIONS for more). */
const CONNECTIONS = Number(process.env.BENCH_STATE_CONNECTIONS ?? 1)

/**
 * GET /api/v1/me/state for a user with 10,000 events (snapshots of 10
 * positions, alerts), one connection by default. Target: p99 ≤ 100 ms.
 * The same-run baseline is reading that user's 10,000 event rows through raw
 * `pg` (the floor of any replay that reads them all).
 */
export default {
  name: 'state',
  async run(
    pool: pg.Pool,
    helpers: { userTokens: (ids: string[]) => Promise<string[]> }
  ): Promise<BenchResult> {
    const wallet = '0x57a7e00000000000000000000000000000000001'
    const { rows: user } = await pool.query(
      `insert into users (wallet_address, preferences) values ($1, '{}')
       on conflict (wallet_address) do update set wallet_address = excluded.wallet_address returning id`,
      [wallet]
    )
    const userId: string = user[0].id
    const { rows: have } = await pool.query(
      'select count(*)::int as n from event_store where user_id = $1',
      [userId]
    )
    if (have[0].n < EVENTS) {
      // position.snapshot_recorded (one stream per protocol/chain), alerts created and acknowledged.
      await pool.query(
        `insert into event_store (aggregate_type, aggregate_id, version, event_type, payload, occurred_at)
         select 'position', md5($1 || (g % 10))::uuid, g / 10 + 1, 'position.snapshot_recorded',
                jsonb_build_object('userId', $1::text, 'snapshotId', gen_random_uuid(), 'protocol', 'p' || (g % 10),
                                   'chainId', 1, 'healthFactor', '1.5', 'snapshotAt', now() - make_interval(mins => $2 - g)),
                now() - make_interval(mins => $2 - g)
         from generate_series(0, $2::int * 8 / 10 - 1) g`,
        [userId, EVENTS]
      )
      await pool.query(
        `insert into event_store (aggregate_type, aggregate_id, version, event_type, payload, occurred_at)
         select 'alert', md5($1 || 'a' || g)::uuid, v, case v when 1 then 'alert.created' else 'alert.acknowledged' end,
                jsonb_build_object('userId', $1::text, 'type', 'depeg', 'severity', 'high', 'channel', 'in_app', 'status', 'sent'),
                now() - interval '1 hour'
         from generate_series(1, $2::int / 10) g cross join (values (1), (2)) vs(v)`,
        [userId, EVENTS]
      )
    }
    const [token] = await helpers.userTokens([userId])

    const t0 = performance.now()
    const rounds = 20
    for (let i = 0; i < rounds; i++) {
      await pool.query(
        'select aggregate_type, aggregate_id, event_type, payload from event_store where user_id = $1 order by aggregate_type, aggregate_id, version',
        [userId]
      )
    }
    const bareMs = (performance.now() - t0) / rounds

    const api = await startApi()
    let result: autocannon.Result
    try {
      result = await autocannon({
        url: api.url,
        connections: CONNECTIONS,
        duration: DURATION,
        headers: { authorization: `Bearer ${token}` },
        requests: [{ path: '/api/v1/me/state' }],
      })
    } finally {
      await api.stop()
    }
    const errors = result.errors + result.non2xx
    return {
      metric: `GET /api/v1/me/state, ${have[0].n < EVENTS ? EVENTS : have[0].n} events, ${CONNECTIONS} connection(s): p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${Math.round(result.requests.average)} req/s, errors ${errors}; raw pg read of the events ${bareMs.toFixed(1)} ms`,
      api: result.latency.p99,
      baseline: Math.round(bareMs),
      baselineName: 'ms to read the same events through raw pg (p99 vs this)',
      ratio: result.latency.p99 / bareMs,
      target: 'p99 ≤ 100 ms',
      pass: result.latency.p99 <= 100 && errors === 0,
    }
  },
}
