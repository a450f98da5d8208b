import type pg from 'pg'
import type { BenchResult } from './run.js'
import { startApi } from './lib/servers.js'
import { BATCH_SIZE, interleavedBatches, median } from './lib/interleaved.js'

const ROUNDS = Number(process.env.BENCH_AB_ROUNDS ?? 20)

/**
 * Two checkouts of this API, A and B, side by side on the same database, fed
 * alternately (lib/interleaved.ts): what one change is worth
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
    const a = await startApi({}, process.env.AB_ROOT_A)
    const b = await startApi({}, process.env.AB_ROOT_B)
    try {
      const times = await interleavedBatches(
        pool,
        await helpers.serviceToken(),
        { a, b },
        ROUNDS,
        2018
      )
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
