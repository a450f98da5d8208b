import { type DateTime } from 'luxon'
import { Position } from '#models'
import {
  latestPositionRows,
  type PositionRow,
} from '#infrastructure/database/queries/latest_positions'
import { NotFoundError } from '#domain/shared/errors'
import { decodeCursor, encodeCursor, isInstantIdPair } from '#services/shared/cursor'

export interface Page<T> {
  data: T[]
  nextCursor: string | null
}

/** The newest snapshot of each (protocol, chain) the user has. */
export function latestPositions(userId: string): Promise<PositionRow[]> {
  return latestPositionRows(userId)
}

export async function findPosition(userId: string, id: string): Promise<Position> {
  // Scoped by owner: another user's snapshot is indistinguishable from a missing one.
  const position = await Position.query().where('id', id).where('user_id', userId).first()
  if (!position) throw new NotFoundError('snapshot')
  return position
}

export async function latestPosition(
  userId: string,
  protocol: string,
  chainId: number
): Promise<Position> {
  const position = await Position.query()
    .where({ user_id: userId, protocol, chain_id: chainId })
    .orderBy('snapshot_at', 'desc')
    .first()
  if (!position) throw new NotFoundError('position')
  return position
}

export interface HistoryQuery {
  protocol?: string
  chainId?: number
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
export async function positionHistory(userId: string, q: HistoryQuery): Promise<Page<Position>> {
  const limit = q.limit ?? 50
  const query = Position.query().where('user_id', userId)
  if (q.protocol) query.where('protocol', q.protocol)
  if (q.chainId) query.where('chain_id', q.chainId)
  if (q.from) query.where('snapshot_at', '>=', q.from.toISO()!)
  if (q.to) query.where('snapshot_at', '<=', q.to.toISO()!)
  if (q.cursor) {
    const [at, id] = decodeCursor(q.cursor, isInstantIdPair)
    query.whereRaw('(snapshot_at, id) < (?::timestamptz, ?::uuid)', [at, id])
  }
  const rows = await query
    .orderBy([
      { column: 'snapshot_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(limit + 1)
  const hasMore = rows.length > limit
  const data = hasMore ? rows.slice(0, limit) : rows
  const last = data.at(-1)
  return {
    data,
    nextCursor: hasMore && last ? encodeCursor([last.snapshotAt.toUTC().toISO()!, last.id]) : null,
  }
}
