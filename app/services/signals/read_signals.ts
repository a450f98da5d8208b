import { Signal } from '#models'
import { NotFoundError } from '#domain/shared/errors'
import { newestFirstPage, type Page } from '#services/shared/cursor'

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
  const query = Signal.query()
  const status = q.status ?? 'active'
  if (status !== 'all') query.where('status', status)
  if (q.type) query.where('type', q.type)
  if (q.asset) query.where('asset', q.asset)
  if (q.severity) query.where('severity', q.severity)
  return newestFirstPage(query, 'detected_at', (s) => s.detectedAt.toUTC().toISO()!, q)
}

export async function findSignal(id: string): Promise<Signal> {
  const signal = await Signal.find(id)
  if (!signal) throw new NotFoundError('signal')
  return signal
}
