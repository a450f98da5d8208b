import db from '@adonisjs/lucid/services/db'
import type { Asset } from '#domain/positions/types'
import { loadRiskModels, riskOfPosition } from '#services/positions/liquidation_risk'

const DAY_MS = 86_400_000

/** Forecast buckets of the calibration table: [from, to). */
export const BUCKETS: [number, number][] = [
  [0, 0.001],
  [0.001, 0.01],
  [0.01, 0.05],
  [0.05, 0.2],
  [0.2, 0.5],
  [0.5, 1.000001],
]

export interface BacktestReport {
  days: number
  forecasts: number
  /** Forecasts the model declined (not enough history, …). */
  skipped: number
  liquidations: number
  brier: number | null
  buckets: { from: number; to: number; forecasts: number; meanForecast: number; observed: number }[]
}

interface Snapshot {
  key: string
  chainId: number
  protocol: string
  healthFactor: string | null
  collateral: Asset[]
  debt: Asset[]
  metadata: Record<string, unknown> | null
  at: number
}

/**
 * Replays the stored history: at each midnight (UTC), each position's newest
 * snapshot so far gets the 24 h forecast the model would have given then —
 * prices up to that instant only — and is scored against whether any of its
 * snapshots in the following 24 h had a health factor below 1.
 * Reads every snapshot (or one user's): meant for a demo or a sample, not a full production table.
 */
export async function backtest(options: { userId?: string } = {}): Promise<BacktestReport> {
  const query = db
    .from('positions')
    .select(
      'user_id',
      'protocol',
      'chain_id',
      'health_factor',
      'collateral',
      'debt',
      'metadata',
      'snapshot_at'
    )
    .orderBy('snapshot_at')
  if (options.userId) query.where('user_id', options.userId)
  const rows = await query
  const byPosition = new Map<string, Snapshot[]>()
  for (const r of rows) {
    const key = `${r.user_id}|${r.protocol}|${r.chain_id}`
    const list = byPosition.get(key) ?? []
    byPosition.set(key, list)
    list.push({
      key,
      chainId: r.chain_id,
      protocol: r.protocol,
      healthFactor: r.health_factor,
      collateral: r.collateral,
      debt: r.debt,
      metadata: r.metadata,
      at: new Date(r.snapshot_at).getTime(),
    })
  }
  const report: BacktestReport = {
    days: 0,
    forecasts: 0,
    skipped: 0,
    liquidations: 0,
    brier: null,
    buckets: BUCKETS.map(([from, to]) => ({
      from,
      to,
      forecasts: 0,
      meanForecast: 0,
      observed: 0,
    })),
  }
  if (rows.length === 0) return report
  const first = Math.ceil(new Date(rows[0].snapshot_at).getTime() / DAY_MS) * DAY_MS
  const last = new Date(rows[rows.length - 1].snapshot_at).getTime()
  let squared = 0
  // the last day is scored only when its 24 h have been observed
  for (let day = first; day + DAY_MS <= last; day += DAY_MS) {
    report.days++
    const current: Snapshot[] = []
    const outcome: boolean[] = []
    for (const list of byPosition.values()) {
      let latest: Snapshot | null = null
      let touched = false
      for (const s of list) {
        if (s.at <= day) latest = s
        else if (s.at <= day + DAY_MS && s.healthFactor !== null && Number(s.healthFactor) < 1)
          touched = true
      }
      if (latest && latest.healthFactor !== null && Number(latest.healthFactor) >= 1) {
        current.push(latest)
        outcome.push(touched)
      }
    }
    const models = await loadRiskModels(current, new Date(day))
    current.forEach((s, i) => {
      const risk = riskOfPosition(s, models)
      if (!risk.available) {
        report.skipped++
        return
      }
      const p = risk.probabilities['24h']
      const o = outcome[i] ? 1 : 0
      report.forecasts++
      report.liquidations += o
      squared += (p - o) ** 2
      const bucket = report.buckets.find((b) => p >= b.from && p < b.to)!
      bucket.forecasts++
      bucket.meanForecast += p
      bucket.observed += o
    })
  }
  for (const b of report.buckets) {
    if (b.forecasts > 0) {
      b.meanForecast /= b.forecasts
      b.observed /= b.forecasts
    }
  }
  report.brier = report.forecasts > 0 ? squared / report.forecasts : null
  return report
}
