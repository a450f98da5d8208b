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
  /** The event's leaf in its block (SHA-256, hex). */
  hash: string
  tx: string
}

/**
 * The caller's events in commit-safe order: by writing transaction, then
 * position. Only what the newest block sealed is read (docs/adr/0012): below
 * its bound every event is integrated and no transaction can add one, so a
 * page never shows an event while an earlier one may still appear and every
 * event is seen exactly once across pages. A reader is as far behind as the
 * integrator (EVENT_MAX_MERGE_DELAY_SECONDS at most, by contract).
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
      db.raw(
        `encode(event_leaf(aggregate_type, aggregate_id, version, event_type,
                           payload, metadata, occurred_at, user_id), 'hex') as hash`
      ),
      db.raw('tx::text as tx')
    )
    .where('user_id', userId)
    .whereRaw('tx < event_store_sealed_bound()')
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
