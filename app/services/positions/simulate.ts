import { NotFoundError } from '#domain/shared/errors'
import {
  priceChangeMap,
  simulatedAssets,
  simulatePriceShock,
  type SimulationResult,
} from '#domain/positions/simulation'
import { latestPosition } from '#services/positions/read_positions'
import { positionWallet } from '#services/positions/wallet_scope'
import {
  loadRiskModels,
  riskOfPosition,
  riskToJson,
  type RiskJson,
} from '#services/positions/liquidation_risk'

export async function simulateLatest(
  userId: string,
  protocol: string,
  chainId: number,
  priceChanges: Record<string, string>,
  /** Which of the user's wallets; left out, the one holding that position. */
  walletAddress?: string
): Promise<SimulationResult & { snapshotId: string; snapshotAt: string; risk: RiskJson }> {
  // No wallet on the list holds it: a 404, as before wallets — never the last
  // snapshot of a wallet taken off the list.
  const wallet = await positionWallet(userId, protocol, chainId, walletAddress)
  if (!wallet) throw new NotFoundError('position')
  const position = await latestPosition(userId, protocol, chainId, wallet)
  const result = simulatePriceShock(
    {
      protocol: position.protocol,
      collateral: position.collateral,
      debt: position.debt,
      healthFactor: position.healthFactor,
      metadata: position.metadata,
    },
    priceChanges
  )
  // The probability after the move: the simulated health factor and the shares
  // of the moved assets, against the volatility measured now.
  const moved = simulatedAssets(
    {
      protocol: position.protocol,
      collateral: position.collateral,
      debt: position.debt,
      healthFactor: position.healthFactor,
      metadata: position.metadata,
    },
    priceChangeMap(priceChanges)
  )
  const after = {
    chainId: position.chainId,
    protocol: position.protocol,
    healthFactor: result.simulatedHealthFactor,
    ...moved,
  }
  const models = await loadRiskModels([after], new Date(), undefined, { cached: true })
  const risk = riskToJson(riskOfPosition(after, models))
  return {
    snapshotId: position.id,
    snapshotAt: position.snapshotAt.toUTC().toISO()!,
    ...result,
    risk,
  }
}
