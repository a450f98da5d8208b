import { test } from '@japa/runner'
import {
  covarianceModel,
  ewmaCovariance,
  ewmaVariance,
  exposures,
  formatRatio,
  HOUR_MS,
  hourlyLambda,
  liquidationRisk,
  logReturns,
  normalCdf,
  toHourlyGrid,
  touchProbability,
} from '#domain/positions/liquidation_risk'

const T0 = Date.UTC(2026, 10, 1)
const at = (hours: number, minutes = 0) => T0 + hours * HOUR_MS + minutes * 60_000

test.group('Positions | liquidation risk | hourly grid', () => {
  test('the earliest price of each hour, zero prices dropped, gaps carried forward', ({
    assert,
  }) => {
    const grid = toHourlyGrid([
      { at: at(0, 40), priceUsd: 101 },
      { at: at(0, 5), priceUsd: 100 }, // earliest in hour 0: taken, not averaged with 101
      { at: at(1, 0), priceUsd: 0 }, // an outlier: a zero price is no price
      { at: at(1, 30), priceUsd: 110 },
      { at: at(3, 10), priceUsd: 99 }, // hour 2 has nothing: 110 carried forward
      { at: at(3, 10), priceUsd: 99 }, // the same observation twice
      { at: at(4, 0), priceUsd: Number.NaN },
    ])
    assert.deepEqual(
      grid.map((p) => [(p.hour - T0) / HOUR_MS, p.priceUsd]),
      [
        [0, 100],
        [1, 110],
        [2, 110],
        [3, 99],
      ]
    )
    assert.deepEqual([...logReturns(grid).values()], [Math.log(1.1), 0, Math.log(99 / 110)])
  })
})

test.group('Positions | liquidation risk | EWMA', () => {
  test('variance and covariance against a hand-computed series', ({ assert }) => {
    // prices 100, 110, 99, 99: returns ln 1.1, ln 0.9, 0; λ = 0.5, newest weighted 1
    // (0·1 + 0.011100838259683·0.5 + 0.009084030374333·0.25) / (1 + 0.5 + 0.25)
    const r = [Math.log(1.1), Math.log(0.9), 0]
    assert.closeTo(ewmaVariance(r, 0.5), 0.004469386699099838, 1e-15)
    // against returns ln 1.1, 0, ln 0.9: (0 + 0 + 0.25·ln²1.1) / 1.75
    const s = [Math.log(1.1), 0, Math.log(0.9)]
    assert.closeTo(ewmaCovariance(r, s, 0.5), 0.0012977186249046784, 1e-15)
  })

  test('λ per day becomes λ^(1/24) per hour: 24 hourly steps decay like one day', ({ assert }) => {
    assert.closeTo(hourlyLambda(0.94) ** 24, 0.94, 1e-12)
    assert.throws(() => hourlyLambda(1))
  })

  test('the model aligns pairs on the hours both assets have', ({ assert }) => {
    const eth = Array.from({ length: 10 }, (_, i) => ({
      hour: T0 + i * HOUR_MS,
      priceUsd: i % 2 ? 2000 : 2100,
    }))
    // listed 6 hours later: only its own pairs are shorter
    const fresh = eth.slice(6).map((p) => ({ ...p, priceUsd: p.priceUsd / 1000 }))
    const model = covarianceModel(
      new Map([
        ['eth', eth],
        ['new', fresh],
      ]),
      0.9
    )
    assert.deepEqual([...model.samples], [9, 3, 3, 3])
    assert.equal(model.since[1], T0 + 6 * HOUR_MS)
    assert.closeTo(model.matrix[1], model.matrix[3], 1e-18) // same moves in the common hours
  })
})

test.group('Positions | liquidation risk | forecast', () => {
  const series = (n: number, step: (i: number) => number) =>
    Array.from({ length: n }, (_, i) => ({ hour: T0 + i * HOUR_MS, priceUsd: step(i) }))

  test('first passage: 2·Φ(−ln HF / (σ√T))', ({ assert }) => {
    // erfc's Chebyshev fit is good to 1.2e-7 relative
    assert.closeTo(normalCdf(0), 0.5, 1e-7)
    assert.closeTo(normalCdf(-1.959963984540054), 0.025, 1e-8)
    // ln 1.1 / (0.01·√24) = 1.945511…: 2·Φ(−1.945511) = erfc(1.945511/√2) = 0.051713519319
    assert.closeTo(touchProbability(1.1, 0.01, 24), 0.05171351931917696, 1e-8)
    assert.equal(touchProbability(0.99, 0.01, 1), 1)
  })

  test('a stablecoin debt has its own small volatility', ({ assert }) => {
    const model = covarianceModel(
      new Map([
        ['eth', series(200, () => 2000)],
        ['usdc', series(200, (i) => (i % 2 ? 1.001 : 0.999))],
      ]),
      hourlyLambda(0.94)
    )
    const risk = liquidationRisk(
      1.002,
      exposures(
        [{ key: 'eth', valueUsd: 1252.5, liquidationThreshold: 0.8 }],
        [{ key: 'usdc', valueUsd: 1000 }]
      ),
      model,
      72
    )
    assert.isTrue(risk.available)
    if (risk.available) {
      assert.isAbove(risk.probabilities['1h'], 0)
      assert.closeTo(risk.volatility24h, Math.abs(Math.log(1.001 / 0.999)) * Math.sqrt(24), 1e-12)
    }
  })

  test('no forecast without enough history, prices or debt — with the reason', ({ assert }) => {
    const model = covarianceModel(
      new Map([
        ['eth', series(50, (i) => 2000 + i)],
        ['usdc', series(50, () => 1)],
      ]),
      hourlyLambda(0.94)
    )
    const e = exposures(
      [{ key: 'eth', valueUsd: 2000, liquidationThreshold: 0.8 }],
      [{ key: 'usdc', valueUsd: 1000 }]
    )
    assert.deepEqual(liquidationRisk(1.6, e, model, 72), {
      available: false,
      reason: 'insufficient_history',
      samples: 49,
    })
    assert.equal(liquidationRisk(1.6, e, model, 49).available, true)
    assert.deepEqual(liquidationRisk(null, e.slice(0, 1), model, 1), {
      available: false,
      reason: 'no_debt',
      samples: 0,
    })
    const unknown = exposures(
      [{ key: 'pepe', valueUsd: 2000, liquidationThreshold: 0.5 }],
      [{ key: 'usdc', valueUsd: 1000 }]
    )
    assert.equal(
      (liquidationRisk(1, unknown, model, 1) as { reason: string }).reason,
      'missing_prices'
    )
  })

  test('an asset both supplied and borrowed nets out', ({ assert }) => {
    assert.deepEqual(
      exposures(
        [
          { key: 'eth', valueUsd: 1000, liquidationThreshold: 0.8 },
          { key: 'wbtc', valueUsd: 1000, liquidationThreshold: 0.7 },
        ],
        [
          { key: 'eth', valueUsd: 500 },
          { key: 'usdc', valueUsd: 500 },
        ]
      ).map((e) => [e.key, Number(e.weight.toFixed(12))]),
      [
        ['eth', 0.8 / 1.5 - 0.5],
        ['wbtc', Number((0.7 / 1.5).toFixed(12))],
        ['usdc', -0.5],
      ].map(([k, w]) => [k, Number((w as number).toFixed(12))])
    )
  })

  test('printed as plain decimals with six significant digits', ({ assert }) => {
    assert.equal(formatRatio(0), '0')
    assert.equal(formatRatio(0.0517123456), '0.0517123')
    assert.equal(formatRatio(1.2345e-9), '0.0000000012345')
    assert.equal(formatRatio(1), '1')
    assert.equal(formatRatio(0.5), '0.5')
  })
})
