import type pg from 'pg'
import type { BenchResult } from './run.js'
import { startApi } from './lib/servers.js'
import { BATCH_SIZE, interleavedBatches, median } from './lib/interleaved.js'

const ROUNDS = Number(process.env.BENCH_EVENTS_ROUNDS ?? 12)

/**
 * What recording events costs batch ingest (issue 8: ≤ 15 %): two API
 * processes on the same database, FEATURE_EVENT_STORE on and off, fed
 * alternately (lib/interleaved.ts). Medians of per-batch times.
 */
export default {
  name: 'events',
  async run(pool: pg.Pool, helpers: { serviceToken: () => Promise<string> }): Promise<BenchResult> {
    const on = await startApi({ FEATURE_EVENT_STORE: 'true' })
    const off = await startApi({ FEATURE_EVENT_STORE: 'false' })
    try {
      const times = await interleavedBatches(
        pool,
        await helpers.serviceToken(),
        { a: on, b: off },
        ROUNDS,
        2019
      )
      const rateOn = BATCH_SIZE / (median(times.a) / 1000)
      const rateOff = BATCH_SIZE / (median(times.b) / 1000)
      console.log(
        `events: per-batch ms on [${times.a.map(Math.round).join(' ')}], off [${times.b.map(Math.round).join(' ')}]; cost ${((1 - rateOn / rateOff) * 100).toFixed(1)} %`
      )
      return {
        metric: `rows/s of 1,000-snapshot batches with events recorded, ${ROUNDS} interleaved rounds, medians`,
        api: Math.round(rateOn),
        baseline: Math.round(rateOff),
        baselineName: 'same API with FEATURE_EVENT_STORE=false',
        ratio: rateOn / rateOff,
        target: '≥ 0.85 (events cost ≤ 15 %)',
        pass: rateOn / rateOff >= 0.85,
      }
    } finally {
      await on.stop()
      await off.stop()
    }
  },
}
