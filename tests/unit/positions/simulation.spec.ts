import { test } from '@japa/runner'
import { liquidationPrices, simulatePriceShock } from '#domain/positions/simulation'
import { DomainError } from '#domain/shared/errors'

// 10 ETH at $2,000 (LT 0.825) against 10,000 USDC: HF = 20000 × 0.825 / 10000 = 1.65
const position = {
  protocol: 'aave_v3',
  healthFactor: '1.65',
  collateral: [
    {
      symbol: 'ETH',
      amount: '10',
      valueUsd: '20000',
      priceUsd: '2000',
      liquidationThreshold: '0.825',
    },
  ],
  debt: [{ symbol: 'USDC', amount: '10000', valueUsd: '10000', priceUsd: '1' }],
}

test.group('Positions | price-shock simulation', () => {
  test('a health factor a hair under 1 is liquidatable, as it prints', ({ assert }) => {
    // capacity 1e20 − 1e-16, debt 1e20 − 1e-16 + 1e-36: HF = 1 − ~1e-56, which
    // rounded half up at 40 places became exactly 1
    const result = simulatePriceShock(
      {
        // the plain weighted sum: Aave's Pool would cut this threshold to 9999 bps
        protocol: 'compound_v3',
        healthFactor: '1',
        collateral: [
          {
            symbol: 'ETH',
            amount: '1',
            valueUsd: '100000000000000000000',
            liquidationThreshold: '0.999999999999999999999999999999999999',
          },
        ],
        debt: [
          {
            symbol: 'USDC',
            amount: '1',
            valueUsd: '99999999999999999999.999999999999999900000000000000000001',
          },
        ],
      },
      {}
    )
    assert.equal(result.simulatedHealthFactor, '0.999999999999999999')
    assert.isTrue(result.liquidatable)
  })

  test('ETH −20 % takes HF from 1.65 to 1.32', ({ assert }) => {
    const result = simulatePriceShock(position, { ETH: '-0.2' })
    assert.equal(result.currentHealthFactor, '1.65')
    assert.equal(result.simulatedHealthFactor, '1.32')
    assert.isFalse(result.liquidatable)
    assert.equal(result.collateralUsd, '16000')
    // 1 − 1/1.32 = 24.24 %
    assert.equal(result.bufferToLiquidationPct, '24.24')
  })

  test('the liquidation price of ETH is debt / (amount × LT) = 1212.12…', ({ assert }) => {
    const [eth] = liquidationPrices(position)
    assert.equal(eth.liquidationPriceUsd, '1212.121212121212121212')
    assert.equal(eth.currentPriceUsd, '2000')
    assert.equal(eth.changePct, '-39.39')
    // at that price HF is exactly 1 (to 18 places) in the weighted sum; the Pool
    // cuts the shocked value to whole base units (10⁻⁸ USD), a hair under 1
    const shock = { ETH: '-0.393939393939393939394' }
    const exact = simulatePriceShock({ ...position, protocol: 'compound_v3' }, shock)
    assert.approximately(Number(exact.simulatedHealthFactor), 1, 1e-15)
    const pool = simulatePriceShock(position, shock)
    assert.approximately(Number(pool.simulatedHealthFactor), 1, 1e-11)
  })

  test('ETH −50 % is liquidatable', ({ assert }) => {
    const result = simulatePriceShock(position, { eth: '-0.5' })
    assert.equal(result.simulatedHealthFactor, '0.825')
    assert.isTrue(result.liquidatable)
  })

  test('debt prices move too (a stablecoin depeg upwards hurts)', ({ assert }) => {
    const result = simulatePriceShock(position, { USDC: '0.1' })
    assert.equal(result.simulatedHealthFactor, '1.5')
  })

  test('two collateral assets: each liquidation price holds the other fixed', ({ assert }) => {
    const two = {
      protocol: 'aave_v3',
      healthFactor: null,
      collateral: [
        {
          symbol: 'ETH',
          amount: '10',
          valueUsd: '20000',
          priceUsd: '2000',
          liquidationThreshold: '0.8',
        },
        { symbol: 'WBTC', amount: '1', valueUsd: '60000', liquidationThreshold: '0.7' },
      ],
      debt: [{ symbol: 'USDC', amount: '50000', valueUsd: '50000' }],
    }
    const [eth, wbtc] = liquidationPrices(two)
    // ETH: (50000 − 60000×0.7) / (10×0.8) = 1000
    assert.equal(eth.liquidationPriceUsd, '1000')
    // WBTC: (50000 − 20000×0.8) / (1×0.7) = 48571.428…; price derived from value/amount
    assert.equal(wbtc.liquidationPriceUsd, '48571.428571428571428571')
    assert.equal(wbtc.currentPriceUsd, '60000')
  })

  test('no liquidation price without debt, or when other collateral covers the debt', ({
    assert,
  }) => {
    assert.isNull(liquidationPrices({ ...position, debt: [] })[0].liquidationPriceUsd)
    const covered = {
      protocol: 'aave_v3',
      healthFactor: '1.92',
      collateral: [
        { symbol: 'ETH', amount: '10', valueUsd: '20000', liquidationThreshold: '0.8' },
        { symbol: 'USDC', amount: '100000', valueUsd: '100000', liquidationThreshold: '0.8' },
      ],
      debt: [{ symbol: 'DAI', amount: '50000', valueUsd: '50000' }],
    }
    assert.isNull(liquidationPrices(covered)[0].liquidationPriceUsd)
  })

  test('unknown asset and impossible changes are domain errors naming the field', ({ assert }) => {
    for (const [changes, code, field] of [
      [{ BTC: '-0.1' }, 'E_UNKNOWN_ASSET', 'priceChanges.BTC'],
      [{ ETH: '-1.5' }, 'E_INVALID_PRICE_CHANGE', 'priceChanges.ETH'],
    ] as const) {
      try {
        simulatePriceShock(position, changes)
        assert.fail('should throw')
      } catch (error) {
        assert.instanceOf(error, DomainError)
        assert.equal((error as DomainError).code, code)
        assert.equal((error as DomainError).field, field)
      }
    }
  })
})

test.group('Positions | price-shock simulation | where the thresholds come from', () => {
  // The schema document's position: no threshold on the assets, one on the position
  const documented = {
    protocol: 'aave_v3',
    healthFactor: '2.5',
    collateral: [{ symbol: 'ETH', amount: '1.5', valueUsd: '3000', priceUsd: '2000' }],
    debt: [{ symbol: 'USDC', amount: '1500', valueUsd: '1500', priceUsd: '1' }],
    metadata: { ltv: '0.5', liquidationThreshold: '0.825' },
  }

  test('current is the stored health factor, not a recomputed one', ({ assert }) => {
    // 3000 × 0.825 / 1500 = 1.65, but the indexer said 2.5: that is what the user had
    const result = simulatePriceShock(documented, {})
    assert.equal(result.currentHealthFactor, '2.5')
    assert.equal(result.simulatedHealthFactor, '1.65')
  })

  test("the position's metadata.liquidationThreshold when the assets carry none", ({ assert }) => {
    const result = simulatePriceShock(documented, { ETH: '-0.2' })
    // 2400 × 0.825 / 1500
    assert.equal(result.simulatedHealthFactor, '1.32')
    // 1500 / (1.5 × 0.825)
    assert.equal(result.liquidationPrices[0].liquidationPriceUsd, '1212.121212121212121212')
    assert.isFalse(result.liquidatable)
  })

  test("the assets' own thresholds win over the metadata's", ({ assert }) => {
    const result = simulatePriceShock(
      {
        ...documented,
        collateral: [{ ...documented.collateral[0], liquidationThreshold: '0.8' }],
      },
      {}
    )
    assert.equal(result.simulatedHealthFactor, '1.6')
  })

  test('else the one threshold the stored health factor implies', ({ assert }) => {
    const bare = { ...documented, metadata: undefined }
    // 2.5 × 1500 / 3000 = 1.25: unchanged prices give back the stored figure
    assert.equal(simulatePriceShock(bare, {}).simulatedHealthFactor, '2.5')
    const result = simulatePriceShock(bare, { ETH: '-0.5' })
    assert.equal(result.simulatedHealthFactor, '1.25')
    // 1500 / (1.5 × 1.25)
    assert.equal(result.liquidationPrices[0].liquidationPriceUsd, '800')
  })

  test("for Aave the implied threshold is the Pool's whole basis points", ({ assert }) => {
    // The Pool's 2.31833421 for ETH + WBTC implies 0.80880000…: exactly 8088 bps
    const result = simulatePriceShock(
      {
        protocol: 'aave_v3',
        healthFactor: '2.31833421',
        collateral: [
          { symbol: 'ETH', amount: '10.5', valueUsd: '33077.625' },
          { symbol: 'WBTC', amount: '0.25', valueUsd: '24250.125' },
        ],
        debt: [{ symbol: 'USDC', amount: '20000', valueUsd: '20000' }],
      },
      {}
    )
    assert.equal(result.simulatedHealthFactor, '2.31833421')
  })

  test('no thresholds anywhere and no stored health factor: an error saying why', ({ assert }) => {
    const bare = { ...documented, metadata: undefined }
    try {
      simulatePriceShock({ ...bare, healthFactor: null }, { ETH: '-0.2' })
      assert.fail('should throw')
    } catch (error) {
      assert.instanceOf(error, DomainError)
      assert.equal((error as DomainError).code, 'E_UNKNOWN_THRESHOLDS')
      assert.match((error as DomainError).message, /no liquidation thresholds/)
    }
    // without debt there is nothing to know: no health factor before or after
    const noDebt = simulatePriceShock({ ...bare, healthFactor: null, debt: [] }, { ETH: '-0.2' })
    assert.isNull(noDebt.simulatedHealthFactor)
    assert.isFalse(noDebt.liquidatable)
  })

  test('a malformed metadata threshold is no threshold', ({ assert }) => {
    const result = simulatePriceShock(
      { ...documented, metadata: { liquidationThreshold: 'high' } },
      {}
    )
    // falls through to the stored health factor
    assert.equal(result.simulatedHealthFactor, '2.5')
  })
})
