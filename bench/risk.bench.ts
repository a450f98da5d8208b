import type pg from 'pg'
import type { BenchResult } from './run.js'

const POSITIONS = Number(process.env.BENCH_RISK_POSITIONS ?? 100_000)
const ROUNDS = Number(process.env.BENCH_RISK_ROUNDS ?? 3)
// Far before anything the other benchmarks ingest, so their hours never mix in.
const AS_OF = new Date('2015-03-01T00:00:00Z')

const ASSETS = [
  ['0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2', 'WETH', 2500, 0.0064],
  ['0x2260fac5e5542a773aa44fbcfedf7c193bc2c599', 'WBTC', 60000, 0.0053],
  ['0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48', 'USDC', 1, 0.0002],
  ['0xdac17f958d2ee523a2206206994597c13d831ec7', 'USDT', 1, 0.0002],
  ['0x6b175474e89094c44da98b954eedeac495271d0f', 'DAI', 1, 0.0003],
] as const

const READ_SQL = `
  select p.chain_id, p.protocol, p.health_factor, p.collateral, p.debt, p.metadata
  from position_heads h join positions p on p.id = h.snapshot_id
  order by h.user_id
  limit $1`

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/**
 * The liquidation probability of 100,000 positions (their newest snapshots),
 * against reading the same rows alone, in the same run, interleaved:
 * the risk side is that read, one read of 60 days of hourly prices, one EWMA
 * pass per asset pair, then a w′Σw and three Φ per position.
 */
export default {
  name: 'risk',
  async run(pool: pg.Pool): Promise<BenchResult> {
    const { loadRiskModels, riskOfPosition } = await import('#services/positions/liquidation_risk')
    // 60 days of hourly random-walk prices for the dataset's five assets (kept between runs)
    for (const [key, symbol, start, sigma] of ASSETS) {
      await pool.query(
        `insert into price_history (chain_id, asset_key, symbol, hour, price_usd, observed_at, source)
         select 1, $1, $2, h, round(($3 * exp(sum(($4 * sqrt(-2 * ln(random())) * cos(2 * pi() * random()))) over (order by h)))::numeric, 8), h, 'snapshot'
         from generate_series($5::timestamptz - interval '60 days', $5::timestamptz, interval '1 hour') h
         on conflict do nothing`,
        [key, symbol, start, sigma, AS_OF.toISOString()]
      )
    }
    const read = async () => (await pool.query(READ_SQL, [POSITIONS])).rows
    const risk = async () => {
      const rows = await read()
      const t0 = performance.now()
      const positions = rows.map((r) => ({
        chainId: r.chain_id,
        protocol: r.protocol,
        healthFactor: r.health_factor,
        collateral: r.collateral,
        debt: r.debt,
        metadata: r.metadata,
      }))
      const models = await loadRiskModels(positions, AS_OF)
      let available = 0
      for (const p of positions) if (riskOfPosition(p, models).available) available++
      return { rows: rows.length, available, computeMs: performance.now() - t0 }
    }
    await risk() // warm-up
    const times = { read: [] as number[], risk: [] as number[], compute: [] as number[] }
    let last = { rows: 0, available: 0 }
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of round % 2 === 0 ? ['read', 'risk'] : ['risk', 'read']) {
        const t0 = performance.now()
        if (side === 'read') {
          await read()
        } else {
          const r = await risk()
          times.compute.push(r.computeMs)
          last = r
        }
        times[side as 'read' | 'risk'].push(performance.now() - t0)
      }
    }
    const readMs = median(times.read)
    const riskMs = median(times.risk)
    const computeMs = median(times.compute)
    console.log(
      `\nrisk: ${last.rows} positions (${last.available} with a forecast), medians of ${ROUNDS}: read alone ${readMs.toFixed(0)} ms, read + risk ${riskMs.toFixed(0)} ms, of which risk ${computeMs.toFixed(0)} ms (target ≤ 2000 ms)`
    )
    return {
      metric: `${last.rows} positions: read + risk vs read alone (risk itself ${computeMs.toFixed(0)} ms)`,
      api: Math.round(riskMs),
      baseline: Math.round(readMs),
      baselineName: 'ms to read the same rows alone',
      ratio: riskMs / readMs,
      target: 'risk itself ≤ 2000 ms',
      pass: computeMs <= 2000 && last.available === last.rows,
    }
  },
}
