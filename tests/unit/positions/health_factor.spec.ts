import { test } from '@japa/runner'
import Big from 'big.js'
import { calculateHealthFactorFromBalances } from '@aave/math-utils'
import {
  bufferToLiquidationPct,
  computeHealthFactor,
  healthFactorsDiffer,
  isLiquidatable,
} from '#domain/positions/health_factor'
import type { Asset } from '#domain/positions/types'

const usd = (valueUsd: string, liquidationThreshold?: string, symbol = 'X'): Asset => ({
  symbol,
  amount: '1',
  valueUsd,
  ...(liquidationThreshold !== undefined ? { liquidationThreshold } : {}),
})

/** Aave's own function on the same inputs: collateral × LT(bps) / 10^4 / debt. */
function aave(collateralUsd: string, ltBps: string, debtUsd: string): string {
  return calculateHealthFactorFromBalances({
    collateralBalanceMarketReferenceCurrency: collateralUsd,
    borrowBalanceMarketReferenceCurrency: debtUsd,
    currentLiquidationThreshold: ltBps,
  }).toFixed()
}

/** |a − b| ≤ 1e-18: ours is rounded down at 18 places, Aave's at 20 (half up). */
function assertSame(assert: any, ours: string | null, theirs: string, label = '') {
  assert.isNotNull(ours, label)
  const diff = new Big(ours!).minus(theirs).abs()
  assert.isTrue(diff.lte('1e-18'), `${label}: ours ${ours} vs aave ${theirs}`)
}

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

test.group('Positions | health factor against @aave/math-utils', () => {
  test("Aave's published vector: collateral 1e17, borrow 3e16, LT 5000 bps", ({ assert }) => {
    const theirs = aave('100000000000000000', '5000', '30000000000000000')
    assert.equal(theirs, '1.66666666666666666667')
    const ours = computeHealthFactor([usd('100000000000000000', '0.5')], [usd('30000000000000000')])
    assert.equal(ours, '1.666666666666666666')
    assertSame(assert, ours, theirs)
  })

  test('borrow 0: Aave says -1 (no HF), we say null', ({ assert }) => {
    assert.equal(aave('100000000000000000', '5000', '0'), '-1')
    assert.isNull(computeHealthFactor([usd('100000000000000000', '0.5')], []))
    assert.isNull(computeHealthFactor([usd('100', '0.5')], [usd('0')]))
  })

  test('many assets: the weighted threshold gives the same HF', ({ assert }) => {
    const collateral = Array.from({ length: 12 }, (_, i) =>
      usd(`${1000 + i * 137.25}`, `0.${50 + i * 3}`, `A${i}`)
    )
    const debt = Array.from({ length: 5 }, (_, i) => usd(`${700 + i * 11.5}`, undefined, `D${i}`))
    const total = collateral.reduce((s, a) => s.plus(a.valueUsd), new Big(0))
    const weighted = collateral.reduce(
      (s, a) => s.plus(new Big(a.valueUsd).times(a.liquidationThreshold!)),
      new Big(0)
    )
    Big.DP = 60
    const ltBps = weighted.div(total).times(10_000).toFixed()
    const debtUsd = debt.reduce((s, a) => s.plus(a.valueUsd), new Big(0)).toFixed()
    assertSame(assert, computeHealthFactor(collateral, debt), aave(total.toFixed(), ltBps, debtUsd))
  })

  test('tiny and huge amounts keep every digit', ({ assert }) => {
    assertSame(
      assert,
      computeHealthFactor([usd('0.000000000000000001', '0.8')], [usd('0.000000000000000001')]),
      aave('0.000000000000000001', '8000', '0.000000000000000001')
    )
    const huge = '1000000000000000000000000000000'
    assertSame(
      assert,
      computeHealthFactor([usd(huge, '0.825')], [usd('123456789012345678901234567')]),
      aave(huge, '8250', '123456789012345678901234567')
    )
    // no float anywhere: 0.1 + 0.2 style inputs are exact
    assert.equal(computeHealthFactor([usd('0.1', '1'), usd('0.2', '1')], [usd('0.3')]), '1')
  })

  test('500 random positions agree with Aave to 1e-18', ({ assert }) => {
    const random = rng(20261124)
    for (let i = 0; i < 500; i++) {
      const collateralUsd = (random() * 10 ** Math.floor(random() * 12)).toFixed(6)
      const debtUsd = (random() * 10 ** Math.floor(random() * 12) + 0.000001).toFixed(6)
      const ltBps = String(Math.floor(random() * 9500) + 1)
      const lt = new Big(ltBps).div(10_000).toFixed()
      assertSame(
        assert,
        computeHealthFactor([usd(collateralUsd, lt)], [usd(debtUsd)]),
        aave(collateralUsd, ltBps, debtUsd),
        `case ${i}`
      )
    }
  })

  test('the printed HF is the exact quotient cut to 18 places, never rounded up', ({ assert }) => {
    // 1 × (1 − 10⁻⁴⁵) / 1: dividing to 40 places first rounded this up to "1"
    const almostOne = `0.${'9'.repeat(45)}`
    assert.equal(computeHealthFactor([usd('1', almostOne)], [usd('1')]), '0.999999999999999999')
    assert.equal(computeHealthFactor([usd('2', '1')], [usd('3')]), '0.666666666666666666')
    // the rounding mode is put back for everyone else
    assert.equal(new Big(2).div(3).toFixed(2), '0.67')
  })

  test('an asset without a liquidation threshold does not count as collateral', ({ assert }) => {
    assert.equal(computeHealthFactor([usd('1000', '0.8'), usd('5000')], [usd('400')]), '2')
  })
})

test.group('Positions | health factor helpers', () => {
  test('buffer to liquidation: how far collateral can fall before HF = 1', ({ assert }) => {
    assert.equal(bufferToLiquidationPct('2'), '50')
    assert.equal(bufferToLiquidationPct('1.25'), '20')
    assert.equal(bufferToLiquidationPct('1'), '0')
    assert.equal(bufferToLiquidationPct('0.8'), '-25')
    assert.isNull(bufferToLiquidationPct(null))
  })

  test('liquidatable strictly below 1', ({ assert }) => {
    assert.isTrue(isLiquidatable('0.999999999999999999'))
    assert.isFalse(isLiquidatable('1'))
    assert.isFalse(isLiquidatable(null))
  })

  test('differ means more than 0.1% apart', ({ assert }) => {
    assert.isFalse(healthFactorsDiffer('2.0625', '2.0625'))
    assert.isFalse(healthFactorsDiffer('2.0625', '2.064'))
    assert.isTrue(healthFactorsDiffer('2.0625', '2.07'))
    assert.isTrue(healthFactorsDiffer('1', '0.998'))
  })
})
