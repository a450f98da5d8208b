/**
 * What one aggregate's events amount to, folded in version order. The one
 * fold behind GET /me/state, `events:replay` and the checkpoints that
 * `events:archive` leaves in place of archived events — so a replay that
 * starts from a checkpoint ends where a replay of the whole history would.
 * States are plain JSON: a checkpoint stores them as they are.
 */
export interface UserAggregate {
  kind: 'user'
  email: string | null
  preferences: Record<string, any>
  telegramLinked: boolean
}

export interface PositionAggregate {
  kind: 'position'
  protocol: string
  chainId: number
  snapshotId: string
  snapshotAt: string
}

export interface AlertAggregate {
  kind: 'alert'
  type: string | null
  severity: string | null
  channel: string | null
  status: string
}

export interface IntentAggregate {
  kind: 'intent'
  name: string | null
  protocol: string
  chainId: number
  condition: unknown
  action: unknown
  status: string
}

export type AggregateState = UserAggregate | PositionAggregate | AlertAggregate | IntentAggregate

export interface FoldableEvent {
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
  // an emptied parent stays, as PATCH /me's deep merge leaves it ({"alertThresholds": {}})
  setPath(target[head], rest, value)
}

const emptyUser = (): UserAggregate => ({
  kind: 'user',
  email: null,
  preferences: {},
  telegramLinked: false,
})

/**
 * The aggregate's state after `event`. Returns a new object for a new
 * aggregate and mutates `state` otherwise (folds run over thousands of events);
 * undefined for aggregates whose state nobody rebuilds (signals, system).
 */
export function applyEvent(
  state: AggregateState | undefined,
  event: FoldableEvent
): AggregateState | undefined {
  const p = event.payload
  switch (event.event_type) {
    case 'user.registered':
      return state ?? emptyUser()
    case 'user.preferences_updated': {
      const user = (state as UserAggregate | undefined) ?? emptyUser()
      for (const change of p.changes ?? []) {
        const path = String(change.path).split('.')
        if (path[0] === 'email') user.email = change.after ?? null
        else setPath(user.preferences, path.slice(1), change.after)
      }
      return user
    }
    case 'telegram.linked':
    case 'telegram.unlinked': {
      const user = (state as UserAggregate | undefined) ?? emptyUser()
      // a wallet's chat (a team's group, docs/adr/0014) is not the user's own link
      if (p.walletId === undefined || p.walletId === null) {
        user.telegramLinked = event.event_type === 'telegram.linked'
      }
      return user
    }
    case 'position.snapshot_recorded': {
      const current = state as PositionAggregate | undefined
      // Snapshots may arrive out of order (backfills): the newest by snapshotAt wins.
      if (current && new Date(p.snapshotAt) <= new Date(current.snapshotAt)) return current
      return {
        kind: 'position',
        protocol: p.protocol,
        chainId: p.chainId,
        snapshotId: p.snapshotId,
        snapshotAt: p.snapshotAt,
      }
    }
    case 'alert.created':
      return {
        kind: 'alert',
        type: p.type ?? null,
        severity: p.severity ?? null,
        channel: p.channel ?? null,
        status: p.status,
      }
    case 'alert.sent':
    case 'alert.failed': {
      // as the live row: a send settles a pending alert only; one acknowledged
      // while its send was in flight stays acknowledged (the send is still recorded)
      if (state?.kind === 'alert' && state.status === 'pending') {
        state.status = event.event_type.slice('alert.'.length)
      }
      return state
    }
    case 'alert.acknowledged': {
      if (state?.kind === 'alert') state.status = 'acknowledged'
      return state
    }
    case 'intent.created':
      return {
        kind: 'intent',
        name: p.name ?? null,
        protocol: p.protocol,
        chainId: p.chainId,
        condition: p.condition,
        action: p.action,
        status: p.status,
      }
    case 'intent.updated': {
      if (state?.kind !== 'intent') return state
      const intent = state as unknown as Record<string, unknown>
      for (const [field, change] of Object.entries(p.changes ?? {})) {
        if (field in intent && field !== 'kind') intent[field] = (change as { to: unknown }).to
      }
      return state
    }
    case 'intent.triggered': {
      if (state?.kind === 'intent' && p.status) state.status = p.status
      return state
    }
    case 'intent.cancelled': {
      if (state?.kind === 'intent') state.status = 'cancelled'
      return state
    }
    default:
      return state
  }
}
