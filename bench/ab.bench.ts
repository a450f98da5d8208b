import type pg from 'pg'
import type { BenchResult } from './run.js'
import { randomUsers } from './lib/dataset.js'
import { startApi } from './lib/servers.js'
import { snapshot } from './ingest.bench.js'

const ROUNDS = Number(process.env.BENCH_AB_ROUNDS ?? 20)
const BATCH_SIZE = 1000

/**
 * Two checkouts of this API, A and B, side by side on the same database, fed
 * alternately the same kind of 1,000-snapshot batch: what one change is worth
 * when the machine's speed drifts more between runs than the change moves
 * (±10 % here). Not part of `pnpm bench`:
 *
 *   git worktree add /tmp/a <commit> && ln -s "$PWD/node_modules" /tmp/a/node_modules
 *   cp -r .adonisjs /tmp/a/
 *   AB_ROOT_A=/tmp/a AB_ROOT_B=$PWD pnpm bench ab
 *
 * Migrations are B's (the database is migrated from this checkout).
 */
export default {
  name: 'ab',
  async run(pool: pg.Pool, helpers: { serviceToken: () => Promise<string> }): Promise<BenchResult> {
    const users = await randomUsers(pool, BATCH_SIZE)
    const wallets = users.map((u) => u.wallet_address)
    // a random millisecond: runs on a kept database must not hit earlier snapshots
    const stamp =
      Date.UTC(2018, 0, 1) +
      Math.floor(Math.random() * 1000) * 86_400_000 +
      Math.floor(Math.random() * 3_600_000)
    let hour = 0
    const nextBatch = () => {
      const at = new Date(stamp + hour++ * 3600_000)
      return JSON.stringify({ snapshots: wallets.map((w) => snapshot(w, at)) })
    }
    const a = await startApi({}, process.env.AB_ROOT_A)
    const b = await startApi({}, process.env.AB_ROOT_B)
    const token = await helpers.serviceToken()
    const post = async (url: string) => {
      const body = nextBatch()
      const started = performance.now()
      const response = await fetch(`${url}/api/v1/positions/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'authorization': `Bearer ${token}` },
        body,
      })
      if (response.status !== 201)
        throw new Error(`batch ingest answered ${response.status}: ${await response.text()}`)
      return performance.now() - started
    }
    try {
      for (let i = 0; i < 2; i++) {
        await post(a.url)
        await post(b.url)
      }
      const times = { a: [] as number[], b: [] as number[] }
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)
        for (const side of order) times[side].push(await post(side === 'a' ? a.url : b.url))
      }
      const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]
      const [msA, msB] = [median(times.a), median(times.b)]
      console.log(`ab: median ms per batch A ${msA.toFixed(1)}, B ${msB.toFixed(1)}`)
      return {
        metric: `rows/s of 1,000-snapshot batches, ${ROUNDS} interleaved rounds, medians`,
        api: Math.round(BATCH_SIZE / (msB / 1000)),
        baseline: Math.round(BATCH_SIZE / (msA / 1000)),
        baselineName: `checkout A (${process.env.AB_ROOT_A})`,
        ratio: msA / msB,
        target: 'none (a measuring tool)',
        pass: true,
      }
    } finally {
      await a.stop()
      await b.stop()
    }
  },
}
