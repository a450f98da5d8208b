import type { Position } from '#models'
import { toDecimalString, totalValueUsd } from '#domain/positions/health_factor'

const totalUsd = (assets: Position['collateral']) => toDecimalString(totalValueUsd(assets))

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
