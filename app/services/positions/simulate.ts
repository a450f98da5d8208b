import {
  priceChangeMap,
  simulatedAssets,
  simulatePriceShock,
  type SimulationResult,
} from '#domain/positions/simulation'
import { latestPosition } from '#services/positions/read_positions'
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
  priceChanges: Record<string, string>
): Promise<SimulationResult & { snapshotId: string; snapshotAt: string; risk: RiskJson }> {
  const position = await latestPosition(userId, protocol, chainId)
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
