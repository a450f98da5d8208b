import db from '@adonisjs/lucid/services/db'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import type { DateTime } from 'luxon'
import { Position } from '#models'
import { inOneSnapshot } from '#infrastructure/database/snapshot'
import type { StoredPreferences } from '#domain/users/preferences'
import { DomainError } from '#domain/shared/errors'
import {
  applyEvent,
  type AggregateState,
  type AlertAggregate,
  type IntentAggregate,
  type FoldableEvent,
  type PositionAggregate,
  type UserAggregate,
} from '#domain/events/aggregate_state'

/** An alert as its events left it: the fold's state with its id. */
export type RebuiltAlert = { id: string } & Omit<AlertAggregate, 'kind'>

/** An intent as its events left it. */
export type RebuiltIntent = { id: string } & Omit<IntentAggregate, 'kind'>

export interface RebuiltState {
  email: string | null
  preferences: StoredPreferences
  telegramLinked: boolean
  /** The snapshots that were the newest of each (wallet, protocol, chain) then. */
  positions: Position[]
  /** Alerts not acknowledged then, with the status they had (all of them with allAlerts). */
  openAlerts: RebuiltAlert[]
  /** Active intents then (all of them with allIntents). */
  activeIntents: RebuiltIntent[]
}

/**
 * The oldest instant a state can be rebuilt for: events before it were
 * archived (`node ace events:archive`) and live on only in their files.
 */
export async function retentionHorizon(
  client: Pick<QueryClientContract, 'rawQuery'> = db
): Promise<Date | null> {
  const { rows } = await client.rawQuery('select max(before) as horizon from event_store_archives')
  return rows[0].horizon ? new Date(rows[0].horizon) : null
}

/**
 * The user's state as of `at`, rebuilt only from their events: each
 * aggregate folded in version order (app/domain/events/aggregate_state.ts),
 * starting from its archive checkpoint when older events were archived.
 */
export async function stateAt(
  userId: string,
  at: DateTime,
  options: {
    allAlerts?: boolean
    allIntents?: boolean
    /** One wallet's positions, alerts about them and intents acting for it (docs/adr/0014). */
    walletAddress?: string
  } = {},
  /** A REPEATABLE READ transaction the caller holds (events:replay); else one of its own. */
  client?: QueryClientContract
): Promise<RebuiltState> {
  // Horizon, checkpoints, events and positions from one snapshot: an archive
  // committing between two of these reads moved events out of the one read
  // later into the one read earlier, and the state lost them.
  if (!client) return inOneSnapshot((trx) => stateAt(userId, at, options, trx))
  const horizon = await retentionHorizon(client)
  if (horizon && at.toMillis() < horizon.getTime()) {
    throw new DomainError(
      'E_ARCHIVED',
      `Events before ${horizon.toISOString()} are archived; the state can be rebuilt from then on`,
      'at'
    )
  }
  const aggregates = new Map<string, AggregateState | undefined>()
  if (horizon) {
    // At or after the horizon every archived event counts: start from the newest checkpoints.
    const { rows } = await client.rawQuery(
      `select distinct on (aggregate_type, aggregate_id) aggregate_type, aggregate_id, state
       from event_store_checkpoints where user_id = ?
       order by aggregate_type, aggregate_id, version desc`,
      [userId]
    )
    for (const r of rows) aggregates.set(`${r.aggregate_type}:${r.aggregate_id}`, r.state)
  }
  const events: (FoldableEvent & { aggregate_type: string; aggregate_id: string })[] = await client
    .from('event_store')
    .select('aggregate_type', 'aggregate_id', 'event_type', 'payload')
    .where('user_id', userId)
    .where('occurred_at', '<=', at.toUTC().toISO()!)
    // what is sealed: the same events GET /events shows (docs/adr/0012)
    .whereRaw('tx < event_store_sealed_bound()')
    .orderBy([{ column: 'aggregate_type' }, { column: 'aggregate_id' }, { column: 'version' }])
  for (const e of events) {
    const key = `${e.aggregate_type}:${e.aggregate_id}`
    aggregates.set(key, applyEvent(aggregates.get(key), e))
  }

  let user: UserAggregate | undefined
  // Keyed by stream: each names one (wallet, protocol, chain) — a user may hold the
  // same (protocol, chain) on two wallets, and each is a position of its own.
  const newest = new Map<string, PositionAggregate>()
  const alerts: RebuiltAlert[] = []
  const intents: RebuiltIntent[] = []
  for (const [key, state] of aggregates) {
    const id = key.slice(key.indexOf(':') + 1)
    switch (state?.kind) {
      case 'user':
        if (id === userId) user = state
        break
      case 'position':
        newest.set(id, state)
        break
      case 'alert':
        alerts.push({
          id,
          type: state.type,
          severity: state.severity,
          channel: state.channel,
          status: state.status,
        })
        break
      case 'intent':
        intents.push({
          id,
          name: state.name,
          protocol: state.protocol,
          chainId: state.chainId,
          condition: state.condition,
          action: state.action,
          status: state.status,
        })
        break
    }
  }

  const ids = [...newest.values()].map((n) => n.snapshotId)
  const wallet = options.walletAddress
  const positions = ids.length
    ? await Position.query({ client })
        .whereIn('id', ids)
        .where('user_id', userId)
        .if(wallet, (q) => q.where('wallet_address', wallet!))
        .orderBy([{ column: 'protocol' }, { column: 'chain_id' }, { column: 'wallet_address' }])
    : []
  // A wallet taken off the list takes its positions with it (their heads are
  // deleted: docs/adr/0014) until a newer snapshot of it is recorded; its
  // snapshots stay in the history, so the removal is read from its event.
  const { rows: removals } = await client.rawQuery(
    `select payload->>'address' as address, max(occurred_at) as at from event_store
      where user_id = ? and event_type = 'wallet.removed' and occurred_at <= ?
        and tx < event_store_sealed_bound()
      group by 1`,
    [userId, at.toUTC().toISO()!]
  )
  const removedAt = new Map<string, number>(
    removals.map((r: { address: string; at: Date }) => [r.address, new Date(r.at).getTime()])
  )
  const listed = positions.filter((p) => {
    const removed = removedAt.get(p.walletAddress)
    return removed === undefined || removed < p.createdAt.toMillis()
  })
  // The wallet of an alert or an intent never changes once written: the live
  // rows say which of the rebuilt ones are that wallet's.
  const ofWallet = async (table: 'alerts' | 'intents', all: { id: string }[]) => {
    if (!wallet || all.length === 0) return null
    const rows: { id: string }[] = await client
      .from(table)
      .select('id')
      .where('user_id', userId)
      .where('wallet_address', wallet)
      .whereIn(
        'id',
        all.map((x) => x.id)
      )
    return new Set(rows.map((r) => r.id))
  }
  const alertsOfWallet = await ofWallet('alerts', alerts)
  const intentsOfWallet = await ofWallet('intents', intents)
  return {
    email: user?.email ?? null,
    preferences: (user?.preferences ?? {}) as StoredPreferences,
    telegramLinked: user?.telegramLinked ?? false,
    positions: listed,
    openAlerts: alerts
      .filter((a) => !alertsOfWallet || alertsOfWallet.has(a.id))
      .filter((a) => options.allAlerts || a.status !== 'acknowledged')
      .sort((a, b) => a.id.localeCompare(b.id)),
    activeIntents: intents
      .filter((i) => !intentsOfWallet || intentsOfWallet.has(i.id))
      .filter((i) => options.allIntents || i.status === 'active')
      .sort((a, b) => a.id.localeCompare(b.id)),
  }
}
