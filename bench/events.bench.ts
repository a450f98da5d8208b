import type pg from 'pg'
import type { BenchResult } from './run.js'
import { randomUsers } from './lib/dataset.js'
import { startApi } from './lib/servers.js'
import { snapshot } from './ingest.bench.js'

const ROUNDS = Number(process.env.BENCH_EVENTS_ROUNDS ?? 12)
const BATCH_SIZE = 1000

/**
 * What recording events costs batch ingest (issue 8: ≤ 15 %): two API
 * processes on the same database, FEATURE_EVENT_STORE on and off, fed
 * alternately the same kind of 1,000-snapshot batch, so drift on this shared
 * machine (autovacuum, checkpoints, neighbours) hits both sides alike.
 * Medians of per-batch times.
 */
export default {
  name: 'events',
  async run(pool: pg.Pool, helpers: { serviceToken: () => Promise<string> }): Promise<BenchResult> {
    const users = await randomUsers(pool, BATCH_SIZE)
    const wallets = users.map((u) => u.wallet_address)
    // a random day and a random millisecond in its first hour: runs on a kept benchmark
    // database must not hit the snapshots (same user, same instant) of earlier runs
    const stamp =
      Date.UTC(2019, 0, 1) +
      Math.floor(Math.random() * 1000) * 86_400_000 +
      Math.floor(Math.random() * 3_600_000)
    let hour = 0
    const nextBatch = () => {
      const at = new Date(stamp + hour++ * 3600_000)
      return JSON.stringify({ snapshots: wallets.map((w) => snapshot(w, at)) })
    }

    const on = await startApi({ FEATURE_EVENT_STORE: 'true' })
    const off = await startApi({ FEATURE_EVENT_STORE: 'false' })
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
      // warm-up: two batches each, not measured
      for (let i = 0; i < 2; i++) {
        await post(on.url)
        await post(off.url)
      }
      const times = { on: [] as number[], off: [] as number[] }
      for (let round = 0; round < ROUNDS; round++) {
        // alternate who goes first, so neither always follows the other's writes
        const order = round % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)
        for (const side of order) times[side].push(await post(side === 'on' ? on.url : off.url))
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
      const rateOn = BATCH_SIZE / (median(times.on) / 1000)
      const rateOff = BATCH_SIZE / (median(times.off) / 1000)
      console.log(
        `events: per-batch ms on [${times.on.map(Math.round).join(' ')}], off [${times.off.map(Math.round).join(' ')}]; cost ${((1 - rateOn / rateOff) * 100).toFixed(1)} %`
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
