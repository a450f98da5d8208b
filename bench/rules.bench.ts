import type pg from 'pg'
import type { BenchResult } from './run.js'
import { randomUsers } from './lib/dataset.js'
import { snapshot } from './ingest.bench.js'

const ROUNDS = Number(process.env.BENCH_RULES_ROUNDS ?? 6)
const INTENTS = Number(process.env.BENCH_RULES_INTENTS ?? 100_000)

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/**
 * What the per-snapshot rules cost a batch of 1,000 snapshots (in-process
 * `recordSnapshots`, as POST /positions/batch runs it):
 * - the health-factor rule: the same batches with the rule on and off;
 * - intents: the same batches with 100,000 active intents in the table
 *   (one per user, the batch's users included; conditions that do not hold,
 *   so this is the evaluation's cost) and with none.
 * Modes are interleaved round by round so drift hits them alike; medians.
 */
export default {
  name: 'rules',
  async run(pool: pg.Pool): Promise<BenchResult> {
    const { DateTime } = await import('luxon')
    const { recordSnapshots, ingestHooks } = await import('#services/positions/record_snapshots')
    const users = await randomUsers(pool, 1000)
    let hour = 0
    const base = Date.now() - 5 * 365 * 24 * 3600_000 + Math.floor(Math.random() * 1e6) * 1000
    async function batch(): Promise<number> {
      hour++
      const at = new Date(base + hour * 3600_000)
      const inputs = users.map((u) => {
        const s = snapshot(u.wallet_address, at)
        return { ...s, snapshotAt: DateTime.fromISO(s.snapshotAt) }
      })
      const t0 = performance.now()
      await recordSnapshots({ kind: 'service' }, inputs)
      return performance.now() - t0
    }

    await pool.query(`delete from intents where name = 'bench'`)
    const insertIntents = () =>
      pool.query(
        `insert into intents (user_id, name, protocol, chain_id, condition, action, cooldown)
         select id, 'bench', 'aave_v3', 1,
                '{"metric":"health_factor","operator":"lt","value":"0.5"}',
                '{"type":"repay","asset":"USDT","amount":"1000"}', 0
         from users where wallet_address like '0x0000%' limit $1`,
        [INTENTS]
      )
    await batch() // warm-up

    const times = { ruleOn: [] as number[], ruleOff: [] as number[], intents: [] as number[] }
    for (let round = 0; round < ROUNDS; round++) {
      ingestHooks.healthFactorAlerts = false
      times.ruleOff.push(await batch())
      ingestHooks.healthFactorAlerts = true
      times.ruleOn.push(await batch())
      await insertIntents()
      await pool.query('analyze intents')
      times.intents.push(await batch())
      await pool.query(`delete from intents where name = 'bench'`)
    }
    const off = median(times.ruleOff)
    const on = median(times.ruleOn)
    const withIntents = median(times.intents)
    const ruleRatio = on / off
    const intentRatio = withIntents / on
    console.log(
      `\nrules: 1,000-snapshot batch, medians of ${ROUNDS}: HF rule off ${off.toFixed(0)} ms, on ${on.toFixed(0)} ms (×${ruleRatio.toFixed(2)}, target ≤ 1.5); with ${INTENTS} active intents ${withIntents.toFixed(0)} ms vs none ${on.toFixed(0)} ms (×${intentRatio.toFixed(2)}, target ≤ 1.5)`
    )
    return {
      metric: `batch of 1,000 snapshots: HF rule cost ×${ruleRatio.toFixed(2)}; ${INTENTS} intents cost ×${intentRatio.toFixed(2)} (ratio below = the worse of the two)`,
      api: Math.round(Math.max(on, withIntents)),
      baseline: Math.round(Math.min(off, on)),
      baselineName: 'ms per batch without the rule / without intents',
      ratio: Math.max(ruleRatio, intentRatio),
      target: '≤ 1.5 each',
      pass: ruleRatio <= 1.5 && intentRatio <= 1.5,
    }
  },
}
