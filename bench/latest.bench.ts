import autocannon from 'autocannon'
import type pg from 'pg'
import type { BenchResult } from './run.js'
import { randomUsers } from './lib/dataset.js'
import { startApi, startBare } from './lib/servers.js'

const DURATION = Number(process.env.BENCH_DURATION ?? 10)
const CONNECTIONS = 50
const SAMPLE_USERS = 2000

function load(url: string, paths: () => { path: string; headers?: Record<string, string> }) {
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    requests: [
      {
        setupRequest: (request) => {
          const next = paths()
          return { ...request, path: next.path, headers: { ...request.headers, ...next.headers } }
        },
      },
    ],
  })
}

async function warm(url: string, paths: () => { path: string; headers?: Record<string, string> }) {
  await autocannon({
    url,
    connections: 10,
    duration: 2,
    requests: [{ setupRequest: (r) => ({ ...r, ...paths() }) }],
  })
}

export default {
  name: 'latest',
  async run(
    pool: pg.Pool,
    helpers: { userTokens: (ids: string[]) => Promise<string[]> }
  ): Promise<BenchResult> {
    const users = await randomUsers(pool, SAMPLE_USERS)
    const tokens = await helpers.userTokens(users.map((u) => u.id))
    const pick = () => Math.floor(Math.random() * users.length)

    const bare = await startBare()
    let bareResult: autocannon.Result
    try {
      const paths = () => ({ path: `/positions?user=${users[pick()].id}` })
      await warm(bare.url, paths)
      bareResult = await load(bare.url, paths)
    } finally {
      await bare.stop()
    }

    const api = await startApi()
    let apiResult: autocannon.Result
    try {
      const paths = () => ({
        path: '/api/v1/positions',
        headers: { authorization: `Bearer ${tokens[pick()]}` },
      })
      // Each sampled user makes one request first, as users already on the dashboard have:
      // a run of 10 s would otherwise count the first request of each of 2,000 sessions
      // (its token read and checked) as if every tenth of a minute saw new sign-ins.
      let next = 0
      await autocannon({
        url: api.url,
        connections: 10,
        amount: tokens.length,
        requests: [
          {
            setupRequest: (r) => ({
              ...r,
              path: '/api/v1/positions',
              headers: { ...r.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` },
            }),
          },
        ],
      })
      await warm(api.url, paths)
      apiResult = await load(api.url, paths)
    } finally {
      await api.stop()
    }

    const spread = (r: autocannon.Result) =>
      `p50 ${r.latency.p50} p90 ${r.latency.p90} p99 ${r.latency.p99} max ${r.latency.max}`
    console.log(`latest: ms api ${spread(apiResult)}; bare ${spread(bareResult)}`)
    const errors = apiResult.errors + apiResult.non2xx + bareResult.errors + bareResult.non2xx
    const ratio = apiResult.requests.average / bareResult.requests.average
    const p99Ratio = apiResult.latency.p99 / bareResult.latency.p99
    return {
      metric: `GET /api/v1/positions req/s at ${CONNECTIONS} connections, ${DURATION}s (p99 ms api ${apiResult.latency.p99} vs bare ${bareResult.latency.p99}; errors ${errors})`,
      api: Math.round(apiResult.requests.average),
      baseline: Math.round(bareResult.requests.average),
      baselineName: 'node:http + pg, same SQL',
      ratio,
      target: '≥ 0.50 req/s and p99 ≤ 2× bare',
      pass: ratio >= 0.5 && p99Ratio <= 2 && errors === 0,
    }
  },
}
