import db from '@adonisjs/lucid/services/db'
import { DomainError } from '#domain/shared/errors'
import { decodeCursor, encodeCursor, isTxPosition, type Page } from '#services/shared/cursor'

export interface EventQuery {
  type?: string
  aggregateType?: string
  /** One wallet of the user's (lower case): its positions', alerts' and intents' events. */
  walletAddress?: string
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
  if (q.walletAddress) {
    /*
     * One wallet's events (docs/adr/0014): its position streams' snapshots
     * (their payload names the wallet, as every snapshot event has since the
     * first), and the events of the user's alerts about it and intents acting
     * for it. Index-friendly: the page is still read along the user's
     * (user_id, tx, position) index in page order and stops at limit + 1
     * matches; the wallet is a test on each row of that range, like `type`,
     * against the two id sets read once each (hashed subplans: the partial
     * index alerts (user_id, wallet_address) and the user's intents). Only the
     * caller's own rows are ever read, so a wallet another user holds shows
     * nothing of theirs; one not on the caller's list matches nothing.
     */
    const wallet = q.walletAddress
    query.where((w) => {
      w.where((p) =>
        p.where('aggregate_type', 'position').whereRaw(`payload ->> 'walletAddress' = ?`, [wallet])
      )
        .orWhere((a) =>
          a
            .where('aggregate_type', 'alert')
            .whereRaw(
              'aggregate_id in (select id from alerts where user_id = ? and wallet_address = ?)',
              [userId, wallet]
            )
        )
        .orWhere((i) =>
          i
            .where('aggregate_type', 'intent')
            .whereRaw(
              'aggregate_id in (select id from intents where user_id = ? and wallet_address = ?)',
              [userId, wallet]
            )
        )
    })
  }
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
    // Qualified: a bare "tx" would name the text column selected above, sorting
    // '1000' before '999' and reading the user's whole range to sort it.
    .orderByRaw('event_store.tx, event_store.position')
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
