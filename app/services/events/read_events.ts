import db from '@adonisjs/lucid/services/db'
import { DomainError } from '#domain/shared/errors'
import { decodeCursor, encodeCursor, isTxPosition, type Page } from '#services/shared/cursor'

export interface EventQuery {
  type?: string
  aggregateType?: string
  limit?: number
  after?: string
}

export interface EventRow {
  position: string
  aggregate_type: string
  aggregate_id: string
  version: number
  event_type: string
  payload: Record<string, unknown>
  metadata: Record<string, any>
  occurred_at: Date
  hash: string
  tx: string
}

/**
 * The caller's events in commit-safe order: by writing transaction, then
 * position. Only transactions older than the oldest still running are read,
 * so a page never shows an event while an earlier one may still appear: every
 * event is seen exactly once across pages (a reader is at most as far behind
 * as the longest running transaction).
 */
export async function listEvents(userId: string, q: EventQuery): Promise<Page<EventRow>> {
  const limit = q.limit ?? 50
  const query = db
    .from('event_store')
    .select(
      'position',
      'aggregate_type',
      'aggregate_id',
      'version',
      'event_type',
      'payload',
      'metadata',
      'occurred_at',
      'hash',
      db.raw('tx::text as tx')
    )
    .where('user_id', userId)
    .whereRaw('tx < pg_snapshot_xmin(pg_current_snapshot())')
  if (q.type) query.where('event_type', q.type)
  if (q.aggregateType) query.where('aggregate_type', q.aggregateType)
  if (q.after) {
    let tx: string
    let position: string
    try {
      ;[tx, position] = decodeCursor(q.after, isTxPosition)
    } catch {
      throw new DomainError('E_INVALID_CURSOR', 'The after cursor is not valid', 'after')
    }
    query.whereRaw('(tx, position) > (?::xid8, ?::bigint)', [tx, position])
  }
  const rows: EventRow[] = await query
    .orderBy([{ column: 'tx' }, { column: 'position' }])
    .limit(limit + 1)
  const hasMore = rows.length > limit
  const data = hasMore ? rows.slice(0, limit) : rows
  const last = data.at(-1)
  // A cursor even on the last page: the next call continues from here when more arrives.
  return {
    data,
    nextCursor: last ? encodeCursor([last.tx, String(last.position)]) : (q.after ?? null),
  }
}
