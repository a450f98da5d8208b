import db from '@adonisjs/lucid/services/db'
import type { DateTime } from 'luxon'
import { Position } from '#models'
import type { StoredPreferences } from '#domain/users/preferences'

export interface RebuiltAlert {
  id: string
  type: string | null
  severity: string | null
  channel: string | null
  status: string
}

export interface RebuiltIntent {
  id: string
  name: string | null
  protocol: string
  chainId: number
  condition: unknown
  action: unknown
  status: string
}

export interface RebuiltState {
  email: string | null
  preferences: StoredPreferences
  telegramLinked: boolean
  /** The snapshot ids that were the newest of each (protocol, chain) then. */
  positions: Position[]
  /** Alerts not acknowledged then, with the status they had (all of them with allAlerts). */
  openAlerts: RebuiltAlert[]
  /** Active intents then (all of them with allIntents). */
  activeIntents: RebuiltIntent[]
}

interface EventRow {
  aggregate_type: string
  aggregate_id: string
  event_type: string
  payload: Record<string, any>
}

function setPath(target: Record<string, any>, path: string[], value: unknown) {
  const [head, ...rest] = path
  if (rest.length === 0) {
    if (value === null || value === undefined) delete target[head]
    else target[head] = value
    return
  }
  if (typeof target[head] !== 'object' || target[head] === null) target[head] = {}
  setPath(target[head], rest, value)
  if (Object.keys(target[head]).length === 0) delete target[head]
}

/**
 * The user's state as of `at`, rebuilt only from their events (each aggregate
 * in version order): preferences and email from the leaf diffs of
 * `user.preferences_updated`, the Telegram link, the newest snapshot of each
 * position (snapshots are immutable rows the events name), the alerts not yet
 * acknowledged, the active intents.
 */
export async function stateAt(
  userId: string,
  at: DateTime,
  options: { allAlerts?: boolean; allIntents?: boolean } = {}
): Promise<RebuiltState> {
  const events: EventRow[] = await db
    .from('event_store')
    .select('aggregate_type', 'aggregate_id', 'event_type', 'payload')
    .where('user_id', userId)
    .where('occurred_at', '<=', at.toUTC().toISO()!)
    .orderBy([{ column: 'aggregate_type' }, { column: 'aggregate_id' }, { column: 'version' }])

  const profile: { email: string | null; preferences: Record<string, any> } = {
    email: null,
    preferences: {},
  }
  let telegramLinked = false
  const newest = new Map<string, { snapshotId: string; snapshotAt: string }>()
  const alerts = new Map<string, RebuiltAlert>()
  const intents = new Map<string, RebuiltIntent>()

  for (const e of events) {
    const p = e.payload
    switch (e.event_type) {
      case 'user.preferences_updated':
        for (const change of p.changes ?? []) {
          const path = String(change.path).split('.')
          if (path[0] === 'email') profile.email = change.after ?? null
          else setPath(profile.preferences, path.slice(1), change.after)
        }
        break
      case 'telegram.linked':
        telegramLinked = true
        break
      case 'telegram.unlinked':
        telegramLinked = false
        break
      case 'position.snapshot_recorded': {
        const k = `${p.protocol}|${p.chainId}`
        const current = newest.get(k)
        if (!current || new Date(p.snapshotAt) > new Date(current.snapshotAt)) {
          newest.set(k, { snapshotId: p.snapshotId, snapshotAt: p.snapshotAt })
        }
        break
      }
      case 'alert.created':
        alerts.set(e.aggregate_id, {
          id: e.aggregate_id,
          type: p.type ?? null,
          severity: p.severity ?? null,
          channel: p.channel ?? null,
          status: p.status,
        })
        break
      case 'alert.sent':
      case 'alert.failed':
      case 'alert.acknowledged': {
        const alert = alerts.get(e.aggregate_id)
        if (alert) alert.status = e.event_type.slice('alert.'.length)
        break
      }
      case 'intent.created':
        intents.set(e.aggregate_id, {
          id: e.aggregate_id,
          name: p.name ?? null,
          protocol: p.protocol,
          chainId: p.chainId,
          condition: p.condition,
          action: p.action,
          status: p.status,
        })
        break
      case 'intent.updated': {
        const intent = intents.get(e.aggregate_id) as Record<string, any> | undefined
        if (!intent) break
        for (const [field, change] of Object.entries(p.changes ?? {})) {
          if (field in intent) intent[field] = (change as { to: unknown }).to
        }
        break
      }
      case 'intent.triggered': {
        const intent = intents.get(e.aggregate_id)
        if (intent && p.status) intent.status = p.status
        break
      }
      case 'intent.cancelled': {
        const intent = intents.get(e.aggregate_id)
        if (intent) intent.status = 'cancelled'
        break
      }
    }
  }

  const ids = [...newest.values()].map((n) => n.snapshotId)
  const positions = ids.length
    ? await Position.query()
        .whereIn('id', ids)
        .where('user_id', userId)
        .orderBy([{ column: 'protocol' }, { column: 'chain_id' }])
    : []
  return {
    email: profile.email,
    preferences: profile.preferences as StoredPreferences,
    telegramLinked,
    positions,
    openAlerts: [...alerts.values()]
      .filter((a) => options.allAlerts || a.status !== 'acknowledged')
      .sort((a, b) => a.id.localeCompare(b.id)),
    activeIntents: [...intents.values()]
      .filter((i) => options.allIntents || i.status === 'active')
      .sort((a, b) => a.id.localeCompare(b.id)),
  }
}
