import type { Position } from '#models'
import type { PositionRow } from '#infrastructure/database/queries/latest_positions'
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

/** The same JSON from a plain row of the hand-tuned read path. */
export function positionRowToJson(row: PositionRow) {
  return {
    id: row.id,
    walletAddress: row.wallet_address,
    protocol: row.protocol,
    chainId: row.chain_id,
    healthFactor: row.health_factor,
    collateral: row.collateral,
    debt: row.debt,
    totals: { collateralUsd: totalUsd(row.collateral), debtUsd: totalUsd(row.debt) },
    metadata: row.metadata,
    snapshotAt: row.snapshot_at.toISOString(),
    createdAt: row.created_at.toISOString(),
  }
}
