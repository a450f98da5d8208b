/**
 * How likely a position is to be liquidated, from recent price volatility
 * (docs/adr/0013-liquidation-probability.md states the model and its assumptions).
 *
 * Volatility math runs in float64 on purpose: variances of log returns are
 * statistics, not amounts — nobody is paid from them, and a 1e-16 relative
 * error is far inside the model's own uncertainty. Money stays in big.js
 * everywhere else; only the shares (weights) enter here as numbers.
 *
 * Units: one grid step is one hour. Variances are per hour; a horizon of T
 * hours scales a standard deviation by √T.
 */

/** One hourly grid point of one asset's price. */
export interface PricePoint {
  /** Start of the hour, epoch milliseconds (a multiple of HOUR_MS). */
  hour: number
  priceUsd: number
}

export const HOUR_MS = 3_600_000

/** The horizons the API reports, in hours. */
export const HORIZONS = { '1h': 1, '24h': 24, '7d': 168 } as const
export type Horizon = keyof typeof HORIZONS

export interface RiskModelOptions {
  /** RiskMetrics decay per day; the hourly decay is λ^(1/24) so a day of hours decays alike. */
  lambdaPerDay: number
  /** Fewer aligned hourly returns than this → no forecast. */
  minSamples: number
}

export const DEFAULT_RISK_OPTIONS: RiskModelOptions = { lambdaPerDay: 0.94, minSamples: 72 }

export function hourlyLambda(lambdaPerDay: number): number {
  if (!(lambdaPerDay > 0 && lambdaPerDay < 1)) {
    throw new RangeError(`λ must lie strictly between 0 and 1, got ${lambdaPerDay}`)
  }
  return lambdaPerDay ** (1 / 24)
}

/**
 * A regular hourly grid from raw observations: each hour takes the earliest
 * positive price observed within it (duplicates are not averaged — the
 * earliest is the one closest to the grid point), zero, negative or
 * non-finite prices are dropped as outliers, and an hour with no observation
 * carries the previous hour's price forward (no trade is no price move).
 * The grid starts at the first hour with a price and ends at the last.
 */
export function toHourlyGrid(observations: { at: number; priceUsd: number }[]): PricePoint[] {
  const earliest = new Map<number, { at: number; priceUsd: number }>()
  for (const o of observations) {
    if (!(Number.isFinite(o.priceUsd) && o.priceUsd > 0)) continue
    const hour = Math.floor(o.at / HOUR_MS) * HOUR_MS
    const seen = earliest.get(hour)
    if (!seen || o.at < seen.at) earliest.set(hour, o)
  }
  if (earliest.size === 0) return []
  const hours = [...earliest.keys()].sort((a, b) => a - b)
  const grid: PricePoint[] = []
  let last = earliest.get(hours[0])!.priceUsd
  for (let h = hours[0]; h <= hours[hours.length - 1]; h += HOUR_MS) {
    const seen = earliest.get(h)
    if (seen) last = seen.priceUsd
    grid.push({ hour: h, priceUsd: last })
  }
  return grid
}

/** Hourly log returns of a grid, keyed by the hour the return ends at. */
export function logReturns(grid: PricePoint[]): Map<number, number> {
  const out = new Map<number, number>()
  for (let i = 1; i < grid.length; i++) {
    if (grid[i].hour - grid[i - 1].hour !== HOUR_MS) continue
    out.set(grid[i].hour, Math.log(grid[i].priceUsd / grid[i - 1].priceUsd))
  }
  return out
}

/**
 * RiskMetrics EWMA of products of zero-mean returns, newest weighted 1, the
 * one before λ, …, normalised by Σ weights so a short series is not biased
 * low: Σ λ^k·x_{t−k}·y_{t−k} / Σ λ^k. With x = y it is the variance.
 * The two series must be aligned (same hours, same order).
 */
export function ewmaCovariance(x: ArrayLike<number>, y: ArrayLike<number>, lambda: number): number {
  const n = x.length
  if (n !== y.length) throw new RangeError('series of different lengths')
  if (n === 0) return Number.NaN
  let sum = 0
  let weights = 0
  let w = 1
  for (let k = n - 1; k >= 0; k--) {
    sum += w * x[k] * y[k]
    weights += w
    w *= lambda
  }
  return sum / weights
}

export function ewmaVariance(returns: ArrayLike<number>, lambda: number): number {
  return ewmaCovariance(returns, returns, lambda)
}

/** One asset's role in a position: its share of the health factor's numerator or denominator. */
export interface Exposure {
  /** The price series' key (chain and address or symbol). */
  key: string
  /**
   * Collateral: value × LT / Σ value × LT (positive).
   * Debt: −value / Σ debt (negative). An asset both supplied and borrowed nets out.
   */
  weight: number
}

/**
 * The LT-weighted collateral shares and the debt shares of a position:
 * d ln HF ≈ Σ_c a_c·d ln P_c − Σ_d b_d·d ln P_d. Exact when there is one
 * collateral and one debt asset; for baskets it is the first-order
 * (weights-fixed-over-the-horizon) approximation the ADR discusses.
 */
export function exposures(
  collateral: { key: string; valueUsd: number; liquidationThreshold: number }[],
  debt: { key: string; valueUsd: number }[]
): Exposure[] {
  const capacity = collateral.reduce((s, a) => s + a.valueUsd * a.liquidationThreshold, 0)
  const owed = debt.reduce((s, a) => s + a.valueUsd, 0)
  const byKey = new Map<string, number>()
  if (capacity > 0) {
    for (const a of collateral) {
      const w = (a.valueUsd * a.liquidationThreshold) / capacity
      if (w !== 0) byKey.set(a.key, (byKey.get(a.key) ?? 0) + w)
    }
  }
  if (owed > 0) {
    for (const a of debt) {
      if (a.valueUsd !== 0) byKey.set(a.key, (byKey.get(a.key) ?? 0) - a.valueUsd / owed)
    }
  }
  return [...byKey].map(([key, weight]) => ({ key, weight }))
}

/**
 * The EWMA covariance matrix of a set of assets, computed once per asset
 * universe (a position only reads it). Each pair is taken over the hours both
 * have a return for — a covariance of returns from different hours means
 * nothing — so a newly listed asset shortens only its own pairs' history.
 */
export interface CovarianceModel {
  keys: string[]
  index: Map<string, number>
  /** Row-major, per hour. */
  matrix: Float64Array
  /** Row-major: aligned hourly returns each entry rests on. */
  samples: Int32Array
  /** Row-major: the first hour (epoch ms) of each entry's window; NaN without samples. */
  since: Float64Array
}

export function covarianceModel(
  series: Map<string, PricePoint[]>,
  lambda: number
): CovarianceModel {
  const keys = [...series.keys()]
  const n = keys.length
  const returns = keys.map((k) => logReturns(series.get(k)!))
  let first = Number.POSITIVE_INFINITY
  let last = Number.NEGATIVE_INFINITY
  for (const r of returns) {
    for (const h of r.keys()) {
      if (h < first) first = h
      if (h > last) last = h
    }
  }
  const length = first > last ? 0 : (last - first) / HOUR_MS + 1
  // dense per-asset arrays over one hour axis, NaN where an asset has no return
  const dense = returns.map((r) => {
    const a = new Float64Array(length).fill(Number.NaN)
    for (const [h, v] of r) a[(h - first) / HOUR_MS] = v
    return a
  })
  const matrix = new Float64Array(n * n)
  const samples = new Int32Array(n * n)
  const since = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const x = dense[i]
      const y = dense[j]
      let sum = 0
      let weights = 0
      let w = 1
      let count = 0
      let earliest = Number.NaN
      // newest first, so the weight of each aligned return is λ^(aligned returns after it)
      for (let k = length - 1; k >= 0; k--) {
        const xk = x[k]
        const yk = y[k]
        if (Number.isNaN(xk) || Number.isNaN(yk)) continue
        sum += w * xk * yk
        weights += w
        w *= lambda
        count++
        earliest = first + (k - 1) * HOUR_MS
      }
      const c = count === 0 ? Number.NaN : sum / weights
      for (const [a, b] of [
        [i, j],
        [j, i],
      ]) {
        matrix[a * n + b] = c
        samples[a * n + b] = count
        since[a * n + b] = earliest
      }
    }
  }
  return { keys, index: new Map(keys.map((k, i) => [k, i])), matrix, samples, since }
}

/** Hourly variance of ln HF: w′Σw over the position's exposures. */
export function healthFactorVariance(model: CovarianceModel, weights: Exposure[]): number {
  const n = model.keys.length
  let variance = 0
  for (const a of weights) {
    const i = model.index.get(a.key)
    if (i === undefined) return Number.NaN
    for (const b of weights) {
      const j = model.index.get(b.key)
      if (j === undefined) return Number.NaN
      variance += a.weight * b.weight * model.matrix[i * n + j]
    }
  }
  // rounding can leave −1e-20 where the true figure is 0 (a constant price)
  return Math.max(variance, 0)
}

/** Φ, the standard normal CDF, through erfc (relative error < 1.2e-7 in both tails). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2)
}

/** Numerical Recipes' erfcc: Chebyshev fit, fractional error < 1.2e-7 everywhere. */
function erfc(x: number): number {
  const z = Math.abs(x)
  const t = 1 / (1 + 0.5 * z)
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
    )
  return x >= 0 ? r : 2 - r
}

/**
 * P(HF touches 1 within T) when ln HF is a driftless Brownian motion with
 * volatility σ per √hour, started at ln HF₀ > 0: by the reflection principle
 * P(min_{t≤T} X_t ≤ 0) = 2·P(X_T ≤ 0) = 2·Φ(−ln HF₀ / (σ√T)).
 * HF ≤ 1 is liquidatable already (1); σ = 0 above 1 never gets there (0).
 */
export function touchProbability(
  healthFactor: number,
  sigmaPerHour: number,
  hours: number
): number {
  if (!(healthFactor > 1)) return 1
  if (!(sigmaPerHour > 0) || !(hours > 0)) return 0
  return Math.min(1, 2 * normalCdf(-Math.log(healthFactor) / (sigmaPerHour * Math.sqrt(hours))))
}

export type RiskUnavailableReason =
  'no_debt' | 'no_collateral' | 'missing_prices' | 'insufficient_history'

export type LiquidationRisk =
  | {
      available: true
      /** Per horizon, 0..1. */
      probabilities: Record<Horizon, number>
      /** Standard deviation of ln HF over 24 h. */
      volatility24h: number
      samples: number
      since: number
    }
  | { available: false; reason: RiskUnavailableReason; samples: number }

/**
 * The forecast for one position, or why there is none — never a made-up
 * number: without debt nothing can be liquidated (no_debt), an asset without
 * a price series cannot be modelled (missing_prices), and fewer aligned
 * hourly returns than `minSamples` is not enough to say (insufficient_history).
 */
export function liquidationRisk(
  healthFactor: number | null,
  positionExposures: Exposure[],
  model: CovarianceModel,
  minSamples: number
): LiquidationRisk {
  if (healthFactor === null || !positionExposures.some((e) => e.weight < 0)) {
    return { available: false, reason: 'no_debt', samples: 0 }
  }
  if (!positionExposures.some((e) => e.weight > 0)) {
    // no collateral against debt: HF is 0 and liquidatable, but there is nothing to model
    return { available: false, reason: 'no_collateral', samples: 0 }
  }
  if (positionExposures.some((e) => !model.index.has(e.key))) {
    return { available: false, reason: 'missing_prices', samples: 0 }
  }
  const n = model.keys.length
  let samples = Number.POSITIVE_INFINITY
  let since = Number.NEGATIVE_INFINITY
  for (const a of positionExposures) {
    for (const b of positionExposures) {
      const cell = model.index.get(a.key)! * n + model.index.get(b.key)!
      samples = Math.min(samples, model.samples[cell])
      if (model.samples[cell] > 0) since = Math.max(since, model.since[cell])
    }
  }
  if (samples < minSamples) {
    return { available: false, reason: 'insufficient_history', samples }
  }
  const sigma = Math.sqrt(healthFactorVariance(model, positionExposures))
  const probabilities = {} as Record<Horizon, number>
  for (const [name, hours] of Object.entries(HORIZONS) as [Horizon, number][]) {
    probabilities[name] = touchProbability(healthFactor, sigma, hours)
  }
  return {
    available: true,
    probabilities,
    volatility24h: sigma * Math.sqrt(24),
    samples,
    since,
  }
}

/**
 * A probability or volatility as the API prints it: a plain decimal string
 * (never an exponent) with at most 6 significant digits — more would claim a
 * precision the model does not have.
 */
export function formatRatio(value: number): string {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`not a ratio: ${value}`)
  if (value === 0) return '0'
  const decimals = Math.min(20, Math.max(0, 5 - Math.floor(Math.log10(value))))
  const fixed = value.toFixed(decimals)
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed
}
