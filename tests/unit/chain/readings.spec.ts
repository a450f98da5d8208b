import { test } from '@japa/runner'
import { maxUint256 } from 'viem'
import {
  aaveProbe,
  aaveReading,
  cometProbe,
  cometReading,
  decide,
  decideForHolders,
  type AaveMarketState,
  type CometMarketState,
  type PreviousSnapshot,
} from '#domain/chain/readings'

const HOUR = 3_600_000
const block = { number: 7n, hash: `0x${'ab'.repeat(32)}` as const, timestamp: 1n }
const probe = (total: bigint, configuration = 2n) =>
  aaveProbe({
    totalCollateralBase: total,
    totalDebtBase: 10n ** 12n,
    healthFactor: 1_650_000_000_000_000_000n,
    userConfiguration: configuration,
  })
const previous = (p = probe(2n * 10n ** 12n), at = 0): PreviousSnapshot => ({
  snapshotAtMs: at,
  empty: false,
  probe: { exact: p.exact, approx: p.approx },
})

test.group('Chain | which positions get a snapshot', () => {
  test('a new position; nothing for an empty wallet without history', ({ assert }) => {
    assert.equal(decide(null, probe(1n), 0, HOUR), 'new')
    assert.isNull(
      decide(
        null,
        aaveProbe({
          totalCollateralBase: 0n,
          totalDebtBase: 0n,
          healthFactor: maxUint256,
          userConfiguration: 0n,
        }),
        0,
        HOUR
      )
    )
  })

  test('unchanged within 0.01 %: nothing until the heartbeat', ({ assert }) => {
    const base = 2n * 10n ** 12n
    assert.isNull(decide(previous(), probe(base + base / 20_000n), 1000, HOUR))
    assert.equal(decide(previous(), probe(base + base / 5_000n), 1000, HOUR), 'changed')
    assert.equal(decide(previous(), probe(base), HOUR, HOUR), 'heartbeat')
  })

  test('a collateral switched on or off is a change however small', ({ assert }) => {
    assert.equal(decide(previous(), probe(2n * 10n ** 12n, 3n), 0, HOUR), 'changed')
  })

  test('closed on chain: a final empty snapshot, then silence', ({ assert }) => {
    const empty = aaveProbe({
      totalCollateralBase: 0n,
      totalDebtBase: 0n,
      healthFactor: maxUint256,
      userConfiguration: 0n,
    })
    assert.equal(decide(previous(), empty, 0, HOUR), 'closed')
    assert.isNull(decide({ snapshotAtMs: 0, empty: true, probe: null }, empty, 10 * HOUR, HOUR))
  })

  test('a snapshot pushed by an indexer (no probe) is replaced by the chain’s reading', ({
    assert,
  }) => {
    assert.equal(
      decide({ snapshotAtMs: 0, empty: false, probe: null }, probe(1n), 0, HOUR),
      'changed'
    )
  })
})

test.group('Chain | one decision for every holder of a wallet (ADR 0014)', () => {
  const base = 2n * 10n ** 12n
  const emptyProbe = aaveProbe({
    totalCollateralBase: 0n,
    totalDebtBase: 0n,
    healthFactor: maxUint256,
    userConfiguration: 0n,
  })
  const emptyHead: PreviousSnapshot = { snapshotAtMs: 0, empty: true, probe: null }

  test('every holder up to date: as for one holder', ({ assert }) => {
    const held = { variants: [previous()], missing: false }
    assert.isNull(decideForHolders(held, probe(base), 1000, HOUR))
    assert.equal(decideForHolders(held, probe(base * 2n), 1000, HOUR), 'changed')
    assert.equal(decideForHolders(held, probe(base), HOUR, HOUR), 'heartbeat')
    assert.equal(decideForHolders(held, emptyProbe, 0, HOUR), 'closed')
    assert.equal(decideForHolders(undefined, probe(base), 0, HOUR), 'new')
    assert.isNull(decideForHolders(undefined, emptyProbe, 0, HOUR))
  })

  test('a holder without a head gets an open position now; nothing when it is empty', ({
    assert,
  }) => {
    const held = { variants: [previous()], missing: true }
    assert.equal(decideForHolders(held, probe(base), 1000, HOUR), 'new')
    assert.isNull(decideForHolders({ variants: [emptyHead], missing: true }, emptyProbe, 0, HOUR))
  })

  test('closing while a newcomer arrives still closes the others’ position', ({ assert }) => {
    const held = { variants: [previous()], missing: true }
    assert.equal(decideForHolders(held, emptyProbe, 0, HOUR), 'closed')
  })

  test('holders whose heads differ: any holder due is enough, the strongest reason wins', ({
    assert,
  }) => {
    // the owner's own ingest (no probe) beside the watchers' chain snapshot
    const held = {
      variants: [previous(), { snapshotAtMs: 500, empty: false, probe: null }],
      missing: false,
    }
    assert.equal(decideForHolders(held, probe(base), 1000, HOUR), 'changed')
    // the stalest holder's heartbeat
    const stale = {
      variants: [previous(probe(base), 0), previous(probe(base), HOUR)],
      missing: false,
    }
    assert.equal(decideForHolders(stale, probe(base), HOUR, HOUR), 'heartbeat')
  })
})

test.group('Chain | what Aave v3 and Comet reads mean', () => {
  test('Aave: the Pool’s health factor as is; collateral only where the wallet uses it', ({
    assert,
  }) => {
    const market: AaveMarketState = {
      pool: `0x${'1'.repeat(40)}`,
      baseUnit: 10n ** 8n,
      reserves: [
        {
          id: 0,
          asset: `0x${'2'.repeat(40)}`,
          symbol: 'WETH',
          decimals: 18,
          liquidationThresholdBps: 8250n,
          aToken: `0x${'3'.repeat(40)}`,
          variableDebtToken: `0x${'4'.repeat(40)}`,
          stableDebtToken: null,
          price: 2000n * 10n ** 8n,
        },
        {
          id: 1,
          asset: `0x${'5'.repeat(40)}`,
          symbol: 'USDC',
          decimals: 6,
          liquidationThresholdBps: 8000n,
          aToken: `0x${'6'.repeat(40)}`,
          variableDebtToken: `0x${'7'.repeat(40)}`,
          stableDebtToken: null,
          price: 100_010_000n,
        },
      ],
    }
    // WETH used as collateral (bit 1), USDC borrowed (bit 2) and supplied but not collateral
    const reading = aaveReading(
      '0xw',
      31337,
      block,
      market,
      {
        totalCollateralBase: 20_000n * 10n ** 8n,
        totalDebtBase: 10_001n * 10n ** 8n,
        healthFactor: 1_649_835_016_498_350_164n,
        userConfiguration: 0b0110n,
      },
      [
        { supplied: 10n ** 19n, variableDebt: 0n, stableDebt: 0n },
        { supplied: 5_000_000n, variableDebt: 10_000_123_456n, stableDebt: 0n },
      ]
    )
    assert.equal(reading.healthFactor, '1.649835016498350164')
    assert.deepEqual(reading.collateral, [
      {
        symbol: 'WETH',
        amount: '10',
        valueUsd: '20000',
        priceUsd: '2000',
        address: `0x${'2'.repeat(40)}`,
        liquidationThreshold: '0.825',
      },
      {
        symbol: 'USDC',
        amount: '5',
        valueUsd: '5.0005',
        priceUsd: '1.0001',
        address: `0x${'5'.repeat(40)}`,
      },
    ])
    assert.deepEqual(reading.debt, [
      {
        symbol: 'USDC',
        amount: '10000.123456',
        valueUsd: '10001.1234683456',
        priceUsd: '1.0001',
        address: `0x${'5'.repeat(40)}`,
      },
    ])
    assert.include(reading.metadata, { source: 'chain', blockNumber: '7', blockHash: block.hash })
  })

  test('Aave without debt: no health factor (the Pool’s max uint)', ({ assert }) => {
    const reading = aaveReading(
      '0xw',
      1,
      block,
      { pool: `0x${'1'.repeat(40)}`, baseUnit: 10n ** 8n, reserves: [] },
      {
        totalCollateralBase: 1n,
        totalDebtBase: 0n,
        healthFactor: maxUint256,
        userConfiguration: 0n,
      },
      []
    )
    assert.isNull(reading.healthFactor)
  })

  test('Comet: collateral carries its liquidate-collateral factor; the borrow is the base asset; a price move is a change', ({
    assert,
  }) => {
    const market: CometMarketState = {
      comet: `0x${'c'.repeat(40)}`,
      base: { asset: `0x${'5'.repeat(40)}`, symbol: 'USDC', decimals: 6, price: 10n ** 8n },
      assets: [
        {
          asset: `0x${'2'.repeat(40)}`,
          symbol: 'WETH',
          decimals: 18,
          price: 2000n * 10n ** 8n,
          liquidateCollateralFactor: 850_000_000_000_000_000n,
        },
      ],
    }
    const account = { borrow: 10_000_000_000n, supplied: 0n, collateral: [10n ** 19n] }
    const reading = cometReading('0xw', 1, block, market, account)
    assert.deepEqual(
      reading.collateral.map((a) => [a.symbol, a.amount, a.liquidationThreshold]),
      [['WETH', '10', '0.85']]
    )
    assert.deepEqual(
      reading.debt.map((a) => [a.symbol, a.amount, a.valueUsd]),
      [['USDC', '10000', '10000']]
    )
    const before = cometProbe(market, account)
    const cheaper = { ...market, assets: [{ ...market.assets[0], price: 1700n * 10n ** 8n }] }
    assert.equal(
      decide(
        { snapshotAtMs: 0, empty: false, probe: before },
        cometProbe(cheaper, account),
        0,
        HOUR
      ),
      'changed'
    )
  })
})
