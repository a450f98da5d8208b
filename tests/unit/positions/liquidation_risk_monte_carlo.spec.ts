import { test } from '@japa/runner'
import {
  covarianceModel,
  exposures,
  healthFactorVariance,
  HOUR_MS,
  touchProbability,
  type CovarianceModel,
} from '#domain/positions/liquidation_risk'

/**
 * The closed form against a Monte Carlo simulation of the same model:
 * correlated geometric Brownian motions (driftless in log) for every asset
 * price, the health factor recomputed from the prices at every step — the
 * basket itself, not the linearised ln HF the closed form uses — and a
 * continuously monitored barrier at HF = 1.
 *
 * A discretely monitored path misses touches between steps, so each step
 * adds the Brownian-bridge probability of a touch between its two ends,
 * exp(−2·a·b / (σ²Δt)) with a, b the step's ln HF at each end; a path's
 * estimate is 1 − Π(1 − p_step) (its conditional touch probability, which
 * also lowers the variance). Seeded, so the figures are reproducible.
 */

/** xoshiro128**: small, fast, seedable, good enough for 10^8 draws. */
function prng(seed: number) {
  let a = seed >>> 0 || 1
  let b = 0x9e3779b9
  let c = 0x243f6a88
  let d = 0xb7e15162
  const next = () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0
    const t = b << 9
    c ^= a
    d ^= b
    b ^= c
    a ^= d
    c ^= t
    d = rotl(d, 11)
    return result
  }
  for (let i = 0; i < 16; i++) next()
  return () => (next() + 0.5) / 4294967296
}
const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k))

interface Case {
  name: string
  /** Hourly volatility of each asset's log price. */
  sigma: number[]
  /** Correlation matrix, row-major. */
  rho: number[]
  /** value × LT per collateral asset (index into sigma) */
  collateral: { asset: number; capacity: number }[]
  debt: { asset: number; value: number }[]
}

/** A covariance model holding exactly the case's matrix (as if EWMA had measured it). */
function modelOf(c: Case): CovarianceModel {
  const n = c.sigma.length
  const keys = c.sigma.map((_, i) => `a${i}`)
  const matrix = new Float64Array(n * n)
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) matrix[i * n + j] = c.rho[i * n + j] * c.sigma[i] * c.sigma[j]
  return {
    keys,
    index: new Map(keys.map((k, i) => [k, i])),
    matrix,
    samples: new Int32Array(n * n).fill(1000),
    since: new Float64Array(n * n),
  }
}

function closedForm(c: Case, hours: number) {
  const model = modelOf(c)
  const e = exposures(
    c.collateral.map((a) => ({
      key: `a${a.asset}`,
      valueUsd: a.capacity,
      liquidationThreshold: 1,
    })),
    c.debt.map((d) => ({ key: `a${d.asset}`, valueUsd: d.value }))
  )
  const hf =
    c.collateral.reduce((s, a) => s + a.capacity, 0) / c.debt.reduce((s, d) => s + d.value, 0)
  const sigma = Math.sqrt(healthFactorVariance(model, e))
  return { hf, sigma, probability: touchProbability(hf, sigma, hours) }
}

function cholesky(c: Case): Float64Array {
  const n = c.sigma.length
  const cov = modelOf(c).matrix
  const l = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = cov[i * n + j]
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k]
      l[i * n + j] = i === j ? Math.sqrt(s) : s / l[j * n + j]
    }
  }
  return l
}

function monteCarlo(c: Case, hours: number, paths: number, steps: number, seed: number) {
  const n = c.sigma.length
  const l = cholesky(c)
  const dt = hours / steps
  const sqrtDt = Math.sqrt(dt)
  const { sigma } = closedForm(c, hours)
  const bridgeScale = -2 / (sigma * sigma * dt)
  const random = prng(seed)
  const logPrice = Array.from({ length: n }, () => new Float64Array(paths))
  const survive = new Float64Array(paths).fill(1)
  const previous = new Float64Array(paths)
  const z = new Float64Array(n)
  const shock = new Float64Array(n)
  const hfOf = (p: number) => {
    let capacity = 0
    for (const a of c.collateral) capacity += a.capacity * Math.exp(logPrice[a.asset][p])
    let owed = 0
    for (const d of c.debt) owed += d.value * Math.exp(logPrice[d.asset][p])
    return Math.log(capacity / owed)
  }
  for (let p = 0; p < paths; p++) previous[p] = hfOf(p)
  for (let s = 0; s < steps; s++) {
    for (let p = 0; p < paths; p++) {
      if (survive[p] === 0) continue
      for (let i = 0; i < n; i += 2) {
        // Box–Muller: two independent normals per pair of uniforms
        const r = Math.sqrt(-2 * Math.log(random()))
        const theta = 2 * Math.PI * random()
        z[i] = r * Math.cos(theta)
        if (i + 1 < n) z[i + 1] = r * Math.sin(theta)
      }
      for (let i = 0; i < n; i++) {
        let v = 0
        for (let k = 0; k <= i; k++) v += l[i * n + k] * z[k]
        shock[i] = v * sqrtDt
      }
      for (let i = 0; i < n; i++) logPrice[i][p] += shock[i]
      const now = hfOf(p)
      const before = previous[p]
      previous[p] = now
      if (now <= 0) {
        survive[p] = 0
        continue
      }
      survive[p] *= 1 - Math.exp(bridgeScale * before * now)
    }
  }
  let sum = 0
  let sumSq = 0
  for (let p = 0; p < paths; p++) {
    const touched = 1 - survive[p]
    sum += touched
    sumSq += touched * touched
  }
  const mean = sum / paths
  const variance = Math.max(sumSq / paths - mean * mean, 0)
  return { probability: mean, standardError: Math.sqrt(variance / paths) }
}

// Hourly volatilities of typical assets (annualised: × √8760).
const ETH = 0.0064 // ~60 %
const WBTC = 0.0053 // ~50 %
const STETH = 0.0065
const ALT = 0.016 // ~150 %
const USDC = 0.0002 // ~2 %: a stablecoin debt still moves a little

const cases: { c: Case; horizons: number[] }[] = [
  {
    c: {
      name: 'one collateral (ETH) against a stablecoin, HF 1.05',
      sigma: [ETH, USDC],
      rho: [1, 0.05, 0.05, 1],
      collateral: [{ asset: 0, capacity: 1.05 }],
      debt: [{ asset: 1, value: 1 }],
    },
    horizons: [1, 24, 168],
  },
  {
    c: {
      name: 'two correlated collaterals (ETH, WBTC, ρ 0.8) against a stablecoin, HF 1.08',
      sigma: [ETH, WBTC, USDC],
      rho: [1, 0.8, 0, 0.8, 1, 0, 0, 0, 1],
      collateral: [
        { asset: 0, capacity: 0.648 },
        { asset: 1, capacity: 0.432 },
      ],
      debt: [{ asset: 2, value: 1 }],
    },
    horizons: [1, 24, 168],
  },
  {
    c: {
      name: 'volatile debt: stETH collateral, ETH debt (ρ 0.98), HF 1.01',
      sigma: [STETH, ETH],
      rho: [1, 0.98, 0.98, 1],
      collateral: [{ asset: 0, capacity: 1.01 }],
      debt: [{ asset: 1, value: 1 }],
    },
    horizons: [1, 24, 168],
  },
  {
    c: {
      name: 'HF near 1 (1.002), ETH against a stablecoin',
      sigma: [ETH, USDC],
      rho: [1, 0, 0, 1],
      collateral: [{ asset: 0, capacity: 1.002 }],
      debt: [{ asset: 1, value: 1 }],
    },
    horizons: [1, 24, 168],
  },
  {
    c: {
      name: 'HF 3, a volatile collateral against a stablecoin',
      sigma: [ALT, USDC],
      rho: [1, 0, 0, 1],
      collateral: [{ asset: 0, capacity: 3 }],
      debt: [{ asset: 1, value: 1 }],
    },
    horizons: [1, 24, 168],
  },
]

const PATHS = 100_000
const STEPS = 24

test.group('Positions | liquidation probability | closed form vs Monte Carlo', () => {
  for (const { c, horizons } of cases) {
    for (const hours of horizons) {
      test(`${c.name}, ${hours} h`, ({ assert }) => {
        const exact = closedForm(c, hours)
        const simulated = monteCarlo(c, hours, PATHS, STEPS, 20_251_204 + hours)
        const gap = Math.abs(simulated.probability - exact.probability)
        if (process.env.RISK_MC_TABLE) {
          console.log(
            [
              c.name,
              `${hours}h`,
              exact.probability.toExponential(4),
              simulated.probability.toExponential(4),
              simulated.standardError.toExponential(2),
              (simulated.standardError > 0 ? gap / simulated.standardError : 0).toFixed(2),
            ].join(' | ')
          )
        }
        // A rare event (HF 3) may touch on no path at all, and then the sample's own
        // standard error is 0: the floor is the binomial standard error of the closed
        // form's probability, which the conditional estimator's never exceeds.
        const binomial = Math.sqrt((exact.probability * (1 - exact.probability)) / PATHS)
        assert.isAtMost(gap, 3 * Math.max(simulated.standardError, binomial))
      }).timeout(60_000)
    }
  }
})

test.group('Positions | liquidation probability | model checks', () => {
  test('a constant price gives zero volatility and probability 0 above HF 1', ({ assert }) => {
    const hours = Array.from({ length: 200 }, (_, i) => i * HOUR_MS)
    const model = covarianceModel(
      new Map([
        ['eth', hours.map((hour) => ({ hour, priceUsd: 2000 }))],
        ['usdc', hours.map((hour) => ({ hour, priceUsd: 1 }))],
      ]),
      0.94 ** (1 / 24)
    )
    const e = exposures(
      [{ key: 'eth', valueUsd: 2000, liquidationThreshold: 0.8 }],
      [{ key: 'usdc', valueUsd: 1000 }]
    )
    const variance = healthFactorVariance(model, e)
    assert.equal(variance, 0)
    assert.equal(touchProbability(1.6, Math.sqrt(variance), 168), 0)
    assert.equal(touchProbability(1.0001, 0, 168), 0)
    assert.equal(touchProbability(1, 0, 1), 1)
  })
})
