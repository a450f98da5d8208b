import Big from 'big.js'
import type { Position } from '#models'
import type { Asset } from '#domain/positions/types'

function totalUsd(assets: Asset[]): string {
  return assets.reduce((sum, a) => sum.plus(a.valueUsd), new Big(0)).toFixed()
}

/** The JSON of one snapshot: camelCase, decimals as strings, instants ISO 8601 UTC. */
export function positionToJson(position: Position) {
  return {
    id: position.id,
    walletAddress: position.walletAddress,
    protocol: position.protocol,
    chainId: position.chainId,
    healthFactor: position.healthFactor,
    collateral: position.collateral,
    debt: position.debt,
    totals: { collateralUsd: totalUsd(position.collateral), debtUsd: totalUsd(position.debt) },
    metadata: position.metadata,
    snapshotAt: position.snapshotAt.toUTC().toISO(),
    createdAt: position.createdAt.toUTC().toISO(),
  }
}
