import type pg from 'pg'
import { randomUsers } from './dataset.js'
import type { RunningServer } from './servers.js'
import { snapshot } from '../ingest.bench.js'

export const BATCH_SIZE = 1000

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/**
 * Two API processes on the same database fed alternately the same kind of
 * 1,000-snapshot batch (1,000 distinct existing users, a new instant each),
 * who goes first alternating too, so drift on this shared machine
 * (autovacuum, checkpoints, neighbours) hits both sides alike. Two warm-up
 * batches each; returns each side's per-batch times in ms (request building
 * excluded).
 */
export async function interleavedBatches(
  pool: pg.Pool,
  token: string,
  sides: { a: RunningServer; b: RunningServer },
  rounds: number,
  /** Start of the random instants; distinct per benchmark, so runs never collide. */
  fromYear: number
): Promise<{ a: number[]; b: number[] }> {
  const users = await randomUsers(pool, BATCH_SIZE)
  const wallets = users.map((u) => u.wallet_address)
  // a random day and a random millisecond in its first hour: runs on a kept benchmark
  // database must not hit the snapshots (same user, same instant) of earlier runs
  const stamp =
    Date.UTC(fromYear, 0, 1) +
    Math.floor(Math.random() * 1000) * 86_400_000 +
    Math.floor(Math.random() * 3_600_000)
  let hour = 0
  const post = async (server: RunningServer) => {
    const at = new Date(stamp + hour++ * 3600_000)
    const body = JSON.stringify({ snapshots: wallets.map((w) => snapshot(w, at)) })
    const started = performance.now()
    const response = await fetch(`${server.url}/api/v1/positions/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'authorization': `Bearer ${token}` },
      body,
    })
    if (response.status !== 201)
      throw new Error(`batch ingest answered ${response.status}: ${await response.text()}`)
    return performance.now() - started
  }
  for (let i = 0; i < 2; i++) {
    await post(sides.a)
    await post(sides.b)
  }
  const times = { a: [] as number[], b: [] as number[] }
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)
    for (const side of order) times[side].push(await post(sides[side]))
  }
  return times
}
