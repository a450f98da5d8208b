import { simulatePriceShock, type SimulationResult } from '#domain/positions/simulation'
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
  // The probability after the move: the simulated health factor against the
  // volatility measured now. The shares are the snapshot's (a move of a few
  // percent shifts them by less than the model's own uncertainty).
  const stored = {
    chainId: position.chainId,
    protocol: position.protocol,
    healthFactor: position.healthFactor,
    collateral: position.collateral,
    debt: position.debt,
    metadata: position.metadata,
  }
  const models = await loadRiskModels([stored], new Date())
  const risk = riskToJson(riskOfPosition(stored, models, result.simulatedHealthFactor))
  return {
    snapshotId: position.id,
    snapshotAt: position.snapshotAt.toUTC().toISO()!,
    ...result,
    risk,
  }
}
