/*
 * `pnpm bench [name ...]`: builds the dataset once, then runs each benchmark
 * against a baseline measured in the same run, and prints their ratio.
 * Never compare against numbers in a file: these machines are shared and noisy.
 */
import os from 'node:os'
import pg from 'pg'
import { bootApp } from './lib/app.js'
import { ensureDataset, pgConfig } from './lib/dataset.js'

export interface BenchResult {
  metric: string
  api: number
  baseline: number
  baselineName: string
  ratio: number
  target: string
  pass: boolean
}

const selected = process.argv.slice(2)
const app = await bootApp()
const { ApiClient, User } = await import('#models')

const helpers = {
  async serviceToken() {
    const client = await ApiClient.firstOrCreate({ name: 'bench' }, { name: 'bench' })
    return (
      await ApiClient.accessTokens.create(client, ['positions:write', 'signals:write'])
    ).value!.release()
  },
  async userTokens(ids: string[]) {
    const users = await User.query().whereIn('id', ids)
    const tokens: string[] = []
    for (const user of users) tokens.push((await User.accessTokens.create(user)).value!.release())
    return tokens
  },
}

const pool = new pg.Pool(pgConfig())
console.log(
  `machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`
)
// The delivery benchmark needs no dataset: skip the minutes it takes to build when it runs alone.
const standalone = ['delivery', 'state', 'sync', 'migrate']
const needsDataset = selected.length === 0 || selected.some((name) => !standalone.includes(name))
let datasetUsers = 0
if (needsDataset) {
  const dataset = await ensureDataset(pool)
  datasetUsers = dataset.users
  console.log(
    `dataset: ${dataset.users} users, ${dataset.snapshots} snapshots (${dataset.seconds.toFixed(1)} s)`
  )
}

if (needsDataset) {
  // The plan of the dashboard's read at this volume (the functional suite checks the shape on a small one).
  const { LATEST_POSITIONS_SQL } = await import('./lib/queries.js')
  const [{ id }] = (
    await pool.query(
      `select id from users where wallet_address like '0x0000%' limit 1 offset ${Math.floor(datasetUsers / 2)}`
    )
  ).rows
  const { rows } = await pool.query(`explain (analyze, format json) ${LATEST_POSITIONS_SQL}`, [id])
  const plan = rows[0]['QUERY PLAN'][0]
  const indexes = JSON.stringify(plan.Plan).match(/"Index Name":"[^"]+"/g) ?? []
  console.log(
    `latest-positions plan: ${[...new Set(indexes)].join(', ') || 'no index!'}; execution ${plan['Execution Time']} ms`
  )
}

const benches = [
  (await import('./ingest.bench.js')).default,
  (await import('./events.bench.js')).default,
  (await import('./latest.bench.js')).default,
  (await import('./fanout.bench.js')).default,
  (await import('./delivery.bench.js')).default,
  (await import('./rules.bench.js')).default,
  (await import('./risk.bench.js')).default,
  (await import('./state.bench.js')).default,
  (await import('./load.bench.js')).default,
  (await import('./sync.bench.js')).default,
  // only when named: a tool for comparing two checkouts (see the file)
  ...(selected.includes('ab') ? [(await import('./ab.bench.js')).default] : []),
  // only when named: builds and keeps a second database, at the schema before migration 16
  ...(selected.includes('migrate') ? [(await import('./migrate.bench.js')).default] : []),
]
// The event integrator runs throughout, as a worker runs it; each benchmark that
// journals events reports how long its appends waited to be sealed.
const { startIntegrator, newestJournalId, sealLag } = await import('./lib/seal_lag.js')
const stopIntegrator = await startIntegrator()
let failed = 0
for (const bench of benches) {
  if (selected.length > 0 && !selected.includes(bench.name)) continue
  const since = await newestJournalId(pool)
  const result = await bench.run(pool, helpers as any)
  if (!result.pass) failed++
  console.log(
    `\n${bench.name}: ${result.metric}\n  api ${result.api}  |  baseline ${result.baseline} (${result.baselineName})  |  ratio ${result.ratio.toFixed(2)}  target ${result.target}  ${result.pass ? 'PASS' : 'MISS'}`
  )
  const lag = await sealLag(pool, since)
  if (lag.appends > 0) {
    console.log(
      `  seal lag of its ${lag.appends} journal appends: p50 ${lag.p50.toFixed(0)} ms, p99 ${lag.p99.toFixed(0)} ms, max ${lag.max.toFixed(0)} ms`
    )
  }
}
await stopIntegrator()

await pool.end()
await app.terminate()
process.exitCode = failed > 0 ? 1 : 0
