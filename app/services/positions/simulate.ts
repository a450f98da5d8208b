import { simulatePriceShock, type SimulationResult } from '#domain/positions/simulation'
import { latestPosition } from '#services/positions/read_positions'

export async function simulateLatest(
  userId: string,
  protocol: string,
  chainId: number,
  priceChanges: Record<string, string>
): Promise<SimulationResult & { snapshotId: string; snapshotAt: string }> {
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
  return { snapshotId: position.id, snapshotAt: position.snapshotAt.toUTC().toISO()!, ...result }
}
