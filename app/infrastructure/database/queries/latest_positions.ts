import db from '@adonisjs/lucid/services/db'
import { LATEST_POSITIONS_SQL } from './latest_positions_sql.js'

export interface PositionRow {
  id: string
  user_id: string
  wallet_address: string
  protocol: string
  chain_id: number
  health_factor: string | null
  collateral: { symbol: string; amount: string; valueUsd: string }[]
  debt: { symbol: string; amount: string; valueUsd: string }[]
  metadata: Record<string, unknown>
  snapshot_at: Date
  created_at: Date
}

export async function latestPositionRows(userId: string): Promise<PositionRow[]> {
  const { rows } = await db.rawQuery(LATEST_POSITIONS_SQL, { user: userId })
  return rows
}
