import db from '@adonisjs/lucid/services/db'
import { type DateTime } from 'luxon'
import { Position } from '#models'
import {
  latestPositionRows,
  type PositionRow,
} from '#infrastructure/database/queries/latest_positions'
import { NotFoundError } from '#domain/shared/errors'
import { newestFirstPage, type Page } from '#services/shared/cursor'

export type { Page } from '#services/shared/cursor'

export interface PositionFilter {
  protocol?: string
  chainId?: number
  /** One wallet of the user's (lower case); one that is not on their list matches nothing. */
  walletAddress?: string
}

/** The newest snapshot of each (wallet, protocol, chain) the user holds on the wallets of their list. */
export async function latestPositions(
  userId: string,
  filter: PositionFilter = {}
): Promise<PositionRow[]> {
  const rows = await latestPositionRows(userId)
  // One row per (wallet, protocol, chain): filtered here rather than in the tuned
  // statement, whose plan the query-plan test pins. The statement reads only
  // wallets on the user's list, so a wallet that is not on it matches nothing.
  return rows.filter(
    (row) =>
      (!filter.protocol || row.protocol === filter.protocol) &&
      (!filter.chainId || row.chain_id === filter.chainId) &&
      (!filter.walletAddress || row.wallet_address === filter.walletAddress)
  )
}

export async function findPosition(userId: string, id: string): Promise<Position> {
  // Scoped by owner: another user's snapshot is indistinguishable from a missing one.
  const position = await Position.query().where('id', id).where('user_id', userId).first()
  if (!position) throw new NotFoundError('snapshot')
  return position
}

/** The newest snapshot of one position; of one wallet's when `walletAddress` is given. */
export async function latestPosition(
  userId: string,
  protocol: string,
  chainId: number,
  walletAddress?: string | null
): Promise<Position> {
  const query = Position.query().where({ user_id: userId, protocol, chain_id: chainId })
  if (walletAddress) query.where('wallet_address', walletAddress)
  const position = await query.orderBy('snapshot_at', 'desc').first()
  if (!position) throw new NotFoundError('position')
  return position
}

export interface HistoryQuery {
  protocol?: string
  chainId?: number
  walletAddress?: string
  from?: DateTime
  to?: DateTime
  limit?: number
  cursor?: string
}

/**
 * Newest first, keyset-paginated on (snapshot_at, id): each snapshot appears
 * exactly once across pages, even when new ones arrive in between (they sort
 * before the cursor, so they never shift later pages).
 */
export async function positionHistory(userId: string, q: HistoryQuery): Promise<Page<PositionRow>> {
  // Plain rows, not models: a dashboard page of 50 snapshots spent more time in
  // model hydration (luxon instants, attribute proxies) than in PostgreSQL.
  const query = db.from('positions').select('*').where('user_id', userId)
  if (q.protocol) query.where('protocol', q.protocol)
  if (q.chainId) query.where('chain_id', q.chainId)
  // The caller's own rows of that wallet: nothing of another user's, whoever holds it.
  if (q.walletAddress) query.where('wallet_address', q.walletAddress)
  if (q.from) query.where('snapshot_at', '>=', q.from.toISO()!)
  if (q.to) query.where('snapshot_at', '<=', q.to.toISO()!)
  return newestFirstPage<PositionRow>(query, 'snapshot_at', (p) => p.snapshot_at.toISOString(), q)
}
