import { DateTime } from 'luxon'
import factory from '@adonisjs/lucid/factories'
import { Position } from '#models'

/**
 * A healthy Aave v3 position by default: 10 ETH at $2,000 (LT 0.825) against
 * 8,000 USDC, health factor 2.0625.
 */
// Each made snapshot is one hour older than the previous one, so several
// snapshots of one position never collide on (user, protocol, chain, snapshot_at).
let sequence = 0

export const PositionFactory = factory
  .define(Position, ({ faker }) => ({
    walletAddress: faker.finance.ethereumAddress().toLowerCase(),
    protocol: 'aave_v3',
    chainId: 1,
    healthFactor: '2.0625',
    collateral: [
      {
        symbol: 'ETH',
        amount: '10',
        valueUsd: '20000',
        priceUsd: '2000',
        liquidationThreshold: '0.825',
      },
    ],
    debt: [{ symbol: 'USDC', amount: '8000', valueUsd: '8000', priceUsd: '1' }],
    metadata: {},
    snapshotAt: DateTime.utc().startOf('second').minus({ hours: sequence++ }),
  }))
  .state('risky', (position) => {
    // HF 1.1 exactly: 10 ETH at $2,000 × 0.825 / 15,000
    position.healthFactor = '1.1'
    position.debt = [{ symbol: 'USDC', amount: '15000', valueUsd: '15000', priceUsd: '1' }]
  })
  .state('noDebt', (position) => {
    position.healthFactor = null
    position.debt = []
  })
  .state('compound', (position) => {
    position.protocol = 'compound_v3'
  })
  .build()
