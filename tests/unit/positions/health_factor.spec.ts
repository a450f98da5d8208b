import { test } from '@japa/runner'
import Big from 'big.js'
import fc from 'fast-check'
import {
  calculateHealthFactorFromBalances,
  calculateHealthFactorFromBalancesBigUnits,
} from '@aave/math-utils'
import {
  aaveV3HealthFactorWad,
  bufferToLiquidationPct,
  computeHealthFactor,
  healthFactorMathOf,
  healthFactorsDiffer,
  isLiquidatable,
  percentMul,
  wadDiv,
} from '#domain/positions/health_factor'
import type { Asset } from '#domain/positions/types'

const usd = (valueUsd: string, liquidationThreshold?: string, symbol = 'X'): Asset => ({
  symbol,
  amount: '1',
  valueUsd,
  ...(liquidationThreshold !== undefined ? { liquidationThreshold } : {}),
})

/** Its own constructor: wide divisions without touching big.js's settings for the code under test. */
const Wide = Big()
Wide.DP = 80

const sum = (assets: Asset[]) => assets.reduce((s, a) => s.plus(a.valueUsd), new Big(0))

/** Aave's own function on a single threshold in basis points: collateral × LT(bps) / 10^4 / debt. */
function aave(collateralUsd: string, ltBps: string, debtUsd: string): string {
  return calculateHealthFactorFromBalances({
    collateralBalanceMarketReferenceCurrency: collateralUsd,
    borrowBalanceMarketReferenceCurrency: debtUsd,
    currentLiquidationThreshold: ltBps,
  }).toFixed()
}

/**
 * math-utils on a whole position, as the Aave app feeds it: the totals and the
 * weighted-average threshold as a fraction (which it cuts to whole basis
 * points). Assets with a zero threshold are not collateral, as in the Pool.
 */
function mathUtils(collateral: Asset[], debt: Asset[]): string {
  const counted = collateral.filter((a) => new Big(a.liquidationThreshold ?? '0').gt(0))
  const total = new Wide(sum(counted))
  const weighted = counted.reduce(
    (s, a) => s.plus(new Wide(a.valueUsd).times(a.liquidationThreshold!)),
    new Wide(0)
  )
  // cut, not rounded, far below a basis point: the floor to whole bps is unchanged
  const average = total.eq(0) ? new Wide(0) : weighted.div(total).round(60, Big.roundDown)
  return calculateHealthFactorFromBalancesBigUnits({
    collateralBalanceMarketReferenceCurrency: total.toFixed(),
    borrowBalanceMarketReferenceCurrency: sum(debt).toFixed(),
    currentLiquidationThreshold: average.toFixed(),
  }).toFixed()
}

/**
 * The Pool rounds twice where math-utils (20 places, half up) does not: percentMul
 * to a whole base unit (10⁻⁸ USD, half up) and wadDiv to 18 places (half up). So
 * the two agree to within half a base unit over the debt, plus half a wad.
 */
function assertPoolAgreesWithMathUtils(
  assert: any,
  collateral: Asset[],
  debt: Asset[],
  label = ''
) {
  const ours = computeHealthFactor(collateral, debt, 'aave_v3')
  const theirs = mathUtils(collateral, debt)
  assert.isNotNull(ours, label)
  const debtBase = sum(debt).times(1e8).round(0, Big.roundDown)
  const bound = new Big('0.5').div(debtBase).plus('5e-19').plus('5e-21')
  const diff = new Big(ours!).minus(theirs).abs()
  assert.isTrue(diff.lte(bound), `${label}: ours ${ours} vs math-utils ${theirs}`)
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

/** A USD value from a count of base units (10⁻⁸ USD), exact. */
const fromBase = (units: bigint) => new Big(units.toString()).div(1e8).toFixed()

test.group('Positions | health factor | Aave v3 as the Pool computes it', () => {
  test('ETH + WBTC against 20,000 USDC: the average threshold is cut to 8088 bps', ({ assert }) => {
    const collateral = [
      { ...usd('33077.625', '0.83', 'ETH'), amount: '10.5', priceUsd: '3150.25' },
      { ...usd('24250.125', '0.78', 'WBTC'), amount: '0.25', priceUsd: '97000.5' },
    ]
    const debt = [usd('20000', undefined, 'USDC')]
    // the plain weighted sum: 46369.52625 / 20000
    assert.equal(computeHealthFactor(collateral, debt, 'compound_v3'), '2.3184763125')
    // Aave: 57327.75 × 0.8088 / 20000 (46369.52625 / 57327.75 = 0.80884…, cut to 8088 bps)
    assert.equal(computeHealthFactor(collateral, debt, 'aave_v3'), '2.31833421')
    assert.equal(mathUtils(collateral, debt), '2.31833421')
  })

  test('table: exact where the Pool rounds nothing, within its rounding elsewhere', ({
    assert,
  }) => {
    const cases: [string, Asset[], Asset[], string][] = [
      // one asset: the average is the asset's own threshold
      ['one asset', [usd('20000', '0.825')], [usd('10000')], '1.65'],
      // 1000 × 0.8 + 3000 × 0.7 = 2900 / 4000 = 0.725 exactly: nothing to cut
      ['exact average', [usd('1000', '0.8'), usd('3000', '0.7')], [usd('1450')], '2'],
      // 100 × 0.8 + 200 × 0.75 = 230 / 300 = 0.7666…: 7666 bps, 300 × 0.7666 / 100
      ['cut average', [usd('100', '0.8'), usd('200', '0.75')], [usd('100')], '2.2998'],
      // a zero-threshold asset is left out of the total, so it does not dilute the average
      ['zero threshold', [usd('1000', '0.8'), usd('5000', '0')], [usd('400')], '2'],
      ['no threshold', [usd('1000', '0.8'), usd('5000')], [usd('400')], '2'],
      // one base unit (10⁻⁸ USD) of each: the smallest the Pool sees
      ['tiny', [usd('0.00000001', '0.8')], [usd('0.00000001')], '1'],
      [
        'huge',
        [usd('1000000000000000000000000000000', '0.825')],
        [usd('123456789012345678901234567')],
        '6682.500060142500547297',
      ],
      // 2/3: wadDiv rounds half up, as on chain
      ['wad rounding', [usd('2', '1')], [usd('3')], '0.666666666666666667'],
      ['no collateral', [], [usd('1')], '0'],
    ]
    for (const [label, collateral, debt, expected] of cases) {
      assert.equal(computeHealthFactor(collateral, debt, 'aave_v3'), expected, label)
      assertPoolAgreesWithMathUtils(assert, collateral, debt, label)
    }
  })

  test("Aave's published vector: collateral 1e17, borrow 3e16, LT 5000 bps", ({ assert }) => {
    const theirs = aave('100000000000000000', '5000', '30000000000000000')
    assert.equal(theirs, '1.66666666666666666667')
    // wadDiv rounds half up: …667, where the weighted sum cut to 18 places says …666
    const collateral = [usd('100000000000000000', '0.5')]
    const debt = [usd('30000000000000000')]
    assert.equal(computeHealthFactor(collateral, debt, 'aave_v3'), '1.666666666666666667')
    assert.equal(computeHealthFactor(collateral, debt, 'compound_v3'), '1.666666666666666666')
  })

  test('values finer than a base unit are cut as the Pool cuts them', ({ assert }) => {
    // 1.000000019 USD is 100000001 base units; debt under one base unit is no debt on chain
    assert.equal(
      computeHealthFactor([usd('1.000000019', '1')], [usd('0.5')], 'aave_v3'),
      '2.00000002'
    )
    assert.isNull(computeHealthFactor([usd('1', '0.8')], [usd('0.000000009')], 'aave_v3'))
    assert.isNull(computeHealthFactor([usd('1', '0.8')], [], 'aave_v3'))
    // thresholds finer than a basis point are cut to whole basis points
    assert.equal(computeHealthFactor([usd('100', '0.82559')], [usd('100')], 'aave_v3'), '0.8255')
  })

  test('the Solidity primitives round half up', ({ assert }) => {
    assert.equal(percentMul(10_001n, 5_000n), 5_001n) // 5000.5 → 5001
    assert.equal(percentMul(9_999n, 5_000n), 5_000n) // 4999.5 → 5000
    assert.equal(percentMul(3n, 3_333n), 1n) // 0.9999 → 1
    assert.equal(wadDiv(1n, 3n), 333_333_333_333_333_333n)
    assert.equal(wadDiv(2n, 3n), 666_666_666_666_666_667n)
    assert.isNull(aaveV3HealthFactorWad([usd('1', '0.8')], [usd('0')]))
  })

  test('property: many assets, tiny to huge, agree with math-utils', ({ assert }) => {
    const base = fc.oneof(
      fc.bigInt({ min: 1n, max: 10_000n }),
      fc.bigInt({ min: 1n, max: 10n ** 14n }),
      fc.bigInt({ min: 1n, max: 10n ** 38n })
    )
    const collateral = fc.array(
      fc.record({ units: base, bps: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 9_700 })) }),
      { minLength: 1, maxLength: 16 }
    )
    const debt = fc.array(base, { minLength: 1, maxLength: 6 })
    fc.assert(
      fc.property(collateral, debt, (c, d) => {
        const collateralAssets = c.map((a, i) =>
          usd(fromBase(a.units), new Big(a.bps).div(10_000).toFixed(), `C${i}`)
        )
        const debtAssets = d.map((units, i) => usd(fromBase(units), undefined, `D${i}`))
        assertPoolAgreesWithMathUtils(assert, collateralAssets, debtAssets)
      }),
      { numRuns: 1000, seed: 20261124 }
    )
  })
})

test.group('Positions | health factor | weighted sum (Compound v3)', () => {
  test('only aave_v3 takes the Pool arithmetic', ({ assert }) => {
    assert.equal(healthFactorMathOf('aave_v3'), 'aave_v3')
    assert.equal(healthFactorMathOf('compound_v3'), 'weighted_sum')
    assert.equal(healthFactorMathOf('morpho_blue'), 'weighted_sum')
  })

  test('borrow 0: Aave says -1 (no HF), we say null', ({ assert }) => {
    assert.equal(aave('100000000000000000', '5000', '0'), '-1')
    assert.isNull(computeHealthFactor([usd('100000000000000000', '0.5')], [], 'compound_v3'))
    assert.isNull(computeHealthFactor([usd('100', '0.5')], [usd('0')], 'compound_v3'))
  })

  test('many assets: Σ value × factor / debt, no average cut to basis points', ({ assert }) => {
    const collateral = Array.from({ length: 12 }, (_, i) =>
      usd(`${1000 + i * 137.25}`, `0.${50 + i * 3}`, `A${i}`)
    )
    const debt = Array.from({ length: 5 }, (_, i) => usd(`${700 + i * 11.5}`, undefined, `D${i}`))
    const weighted = collateral.reduce(
      (s, a) => s.plus(new Big(a.valueUsd).times(a.liquidationThreshold!)),
      new Big(0)
    )
    const expected = weighted.div(sum(debt)).round(18, Big.roundDown).toFixed()
    assert.equal(computeHealthFactor(collateral, debt, 'compound_v3'), expected)
  })

  test('tiny and huge amounts keep every digit', ({ assert }) => {
    assertSame(
      assert,
      computeHealthFactor(
        [usd('0.000000000000000001', '0.8')],
        [usd('0.000000000000000001')],
        'compound_v3'
      ),
      aave('0.000000000000000001', '8000', '0.000000000000000001')
    )
    const huge = '1000000000000000000000000000000'
    assertSame(
      assert,
      computeHealthFactor(
        [usd(huge, '0.825')],
        [usd('123456789012345678901234567')],
        'compound_v3'
      ),
      aave(huge, '8250', '123456789012345678901234567')
    )
    // no float anywhere: 0.1 + 0.2 style inputs are exact
    assert.equal(
      computeHealthFactor([usd('0.1', '1'), usd('0.2', '1')], [usd('0.3')], 'compound_v3'),
      '1'
    )
  })

  test('500 random single-asset positions agree with Aave to 1e-18', ({ assert }) => {
    const random = rng(20261124)
    for (let i = 0; i < 500; i++) {
      const collateralUsd = (random() * 10 ** Math.floor(random() * 12)).toFixed(6)
      const debtUsd = (random() * 10 ** Math.floor(random() * 12) + 0.000001).toFixed(6)
      const ltBps = String(Math.floor(random() * 9500) + 1)
      const lt = new Big(ltBps).div(10_000).toFixed()
      assertSame(
        assert,
        computeHealthFactor([usd(collateralUsd, lt)], [usd(debtUsd)], 'compound_v3'),
        aave(collateralUsd, ltBps, debtUsd),
        `case ${i}`
      )
    }
  })

  test('the printed HF is the exact quotient cut to 18 places, never rounded up', ({ assert }) => {
    // 1 × (1 − 10⁻⁴⁵) / 1: dividing to 40 places first rounded this up to "1"
    const almostOne = `0.${'9'.repeat(45)}`
    assert.equal(
      computeHealthFactor([usd('1', almostOne)], [usd('1')], 'compound_v3'),
      '0.999999999999999999'
    )
    assert.equal(
      computeHealthFactor([usd('2', '1')], [usd('3')], 'compound_v3'),
      '0.666666666666666666'
    )
    // the rounding mode is put back for everyone else
    assert.equal(new Big(2).div(3).toFixed(2), '0.67')
  })

  test('an asset without a liquidation threshold does not count as collateral', ({ assert }) => {
    assert.equal(
      computeHealthFactor([usd('1000', '0.8'), usd('5000')], [usd('400')], 'compound_v3'),
      '2'
    )
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
