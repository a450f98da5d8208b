import { Signal } from '#models'
import { NotFoundError } from '#domain/shared/errors'
import { decodeCursor, encodeCursor, isInstantIdPair } from '#services/shared/cursor'
import type { Page } from '#services/positions/read_positions'

export interface SignalQuery {
  status?: 'active' | 'expired' | 'acknowledged' | 'all'
  type?: string
  asset?: string
  severity?: string
  limit?: number
  cursor?: string
}

/** Newest first (detected_at, id), active by default. Signals are market-wide: every caller sees them. */
export async function listSignals(q: SignalQuery): Promise<Page<Signal>> {
  const limit = q.limit ?? 50
  const query = Signal.query()
  const status = q.status ?? 'active'
  if (status !== 'all') query.where('status', status)
  if (q.type) query.where('type', q.type)
  if (q.asset) query.where('asset', q.asset)
  if (q.severity) query.where('severity', q.severity)
  if (q.cursor) {
    const [at, id] = decodeCursor(q.cursor, isInstantIdPair)
    query.whereRaw('(detected_at, id) < (?::timestamptz, ?::uuid)', [at, id])
  }
  const rows = await query
    .orderBy([
      { column: 'detected_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(limit + 1)
  const hasMore = rows.length > limit
  const data = hasMore ? rows.slice(0, limit) : rows
  const last = data.at(-1)
  return {
    data,
    nextCursor: hasMore && last ? encodeCursor([last.detectedAt.toUTC().toISO()!, last.id]) : null,
  }
}

export async function findSignal(id: string): Promise<Signal> {
  const signal = await Signal.find(id)
  if (!signal) throw new NotFoundError('signal')
  return signal
}
