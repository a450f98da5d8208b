import pg from 'pg'
import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import dbConfig from '#config/database'
import { Alert } from '#models'
import { DomainError } from '#domain/shared/errors'
import { decodeCursor, encodeCursor, isTxPosition } from '#services/shared/cursor'

/**
 * Live alert updates for GET /api/v1/alerts/stream.
 *
 * The source is the event store, read the way GET /events reads it: by
 * (writing transaction, position), and only below the newest sealed block's
 * bound (docs/adr/0012). That set never changes again, so a reader that
 * remembers the last (tx, position) it passed — the SSE `id` — resumes with
 * no gap and no repeat, whatever committed while it was away.
 *
 * One hub per process serves every open stream with one query per wake-up
 * (a LATERAL scan per subscriber over the (user_id, tx, position) index), so
 * the cost grows with the number of events, not streams × polls. It wakes on
 * the `event_store_appended` notification (a sealed block, 6_create_event_store_table.ts) and on a timer: the
 * timer alone is correct, the notification only makes it prompt.
 */

export const POLL_MS = 1_000
export const HEARTBEAT_MS = 15_000
/** Per user and process: a stream is a held connection; a token cannot hold hundreds. */
export const MAX_STREAMS_PER_USER = 5
const BATCH = 500

type TxPosition = [string, string]

export interface StreamMessage {
  /** The resume token: an opaque (tx, position). */
  id: string
  event: string
  occurredAt: Date
  /** The alert as it is now (a client upserts it by id). */
  alert: Alert
}

export interface Subscriber {
  userId: string
  /** auth_access_tokens.id: the stream ends when the token is revoked or expires. */
  tokenId: string
  /** The last (tx, position) passed, alert or not: where the next scan starts. */
  cursor: TxPosition
  send(message: StreamMessage): void
  /** A comment line: keeps proxies from closing an idle connection. */
  ping(): void
  end(reason: string): void
}

interface SweepRow {
  sub: number
  token_ok: boolean
  tx: string | null
  position: string | null
  event_type: string | null
  aggregate_type: string | null
  aggregate_id: string | null
  occurred_at: Date | null
}

export function decodeStreamId(id: string, field = 'lastEventId'): TxPosition {
  try {
    return decodeCursor(id, isTxPosition)
  } catch {
    throw new DomainError('E_INVALID_CURSOR', 'The last event id is not valid', field)
  }
}

/** Where a new stream starts: after everything already settled for this user. */
export async function streamHead(userId: string): Promise<TxPosition> {
  const row = await db
    .from('event_store')
    .select(db.raw('tx::text as tx'), db.raw('position::text as position'))
    .where('user_id', userId)
    .whereRaw('tx < event_store_sealed_bound()')
    // the columns, not the text aliases of the select: '99' sorts after '100'
    .orderByRaw('event_store.tx desc, event_store.position desc')
    .first()
  return row ? [row.tx, row.position] : ['0', '0']
}

export class AlertStreamHub {
  #subscribers = new Map<number, Subscriber>()
  #nextId = 1
  #listener: pg.Client | null = null
  #listenerStarting = false
  #timer: NodeJS.Timeout | null = null
  #heartbeat: NodeJS.Timeout | null = null
  #sweeping: Promise<void> | null = null
  #again = false
  #closed = false
  #hooked = false

  get size() {
    return this.#subscribers.size
  }

  streamsOf(userId: string): number {
    let count = 0
    for (const s of this.#subscribers.values()) if (s.userId === userId) count++
    return count
  }

  subscribe(subscriber: Subscriber): () => void {
    const id = this.#nextId++
    this.#subscribers.set(id, subscriber)
    this.#start()
    this.poke()
    return () => {
      this.#subscribers.delete(id)
      if (this.#subscribers.size === 0) this.#stop()
    }
  }

  /** Runs a sweep now, or right after the one in progress. */
  poke() {
    if (this.#sweeping) {
      this.#again = true
      return
    }
    this.#sweeping = this.#sweep()
      .catch((error) =>
        logger.warn({ err: error }, 'alert stream sweep failed; retrying on the next tick')
      )
      .finally(() => {
        this.#sweeping = null
        if (this.#again && this.#subscribers.size > 0) {
          this.#again = false
          this.poke()
        }
      })
  }

  /** Ends every stream: the process is shutting down. */
  async close() {
    this.#closed = true
    for (const s of this.#subscribers.values()) s.end('shutdown')
    this.#subscribers.clear()
    this.#stop()
    await this.#sweeping
  }

  #start() {
    if (this.#closed) return
    if (!this.#hooked) {
      this.#hooked = true
      // Open streams would otherwise hold the HTTP server open at shutdown.
      app.terminating(() => this.close())
    }
    this.#timer ??= setInterval(() => this.poke(), POLL_MS)
    this.#heartbeat ??= setInterval(() => {
      for (const s of this.#subscribers.values()) s.ping()
    }, HEARTBEAT_MS)
    void this.#listen()
  }

  #stop() {
    if (this.#timer) clearInterval(this.#timer)
    if (this.#heartbeat) clearInterval(this.#heartbeat)
    this.#timer = this.#heartbeat = null
    const listener = this.#listener
    this.#listener = null
    listener?.end().catch(() => {})
  }

  async #listen() {
    if (this.#listener || this.#listenerStarting) return
    this.#listenerStarting = true
    const client = new pg.Client(dbConfig.connections.postgres.connection as pg.ClientConfig)
    try {
      client.on('notification', () => this.poke())
      // A lost connection only costs promptness; the next subscriber or tick-driven
      // sweep brings it back.
      client.on('error', () => {
        if (this.#listener === client) this.#listener = null
      })
      await client.connect()
      await client.query('listen event_store_appended')
      if (this.#subscribers.size === 0 || this.#closed) {
        await client.end()
        return
      }
      this.#listener = client
    } catch (error) {
      logger.warn({ err: error }, 'alert stream could not LISTEN; polling only')
      client.end().catch(() => {})
    } finally {
      this.#listenerStarting = false
    }
  }

  async #sweep() {
    if (this.#subscribers.size === 0) return
    if (!this.#listener) void this.#listen()
    const subs = [...this.#subscribers.entries()]
    const { rows } = (await db.rawQuery(
      `select c.sub, t.ok as token_ok, e.tx::text as tx, e.position::text as position,
              e.event_type, e.aggregate_type, e.aggregate_id, e.occurred_at
       from unnest(?::int[], ?::uuid[], ?::xid8[], ?::bigint[], ?::bigint[])
            as c(sub, user_id, tx, pos, token_id)
       cross join lateral (
         select exists (
           select 1 from auth_access_tokens t
           where t.id = c.token_id and t.tokenable_id = c.user_id
             and (t.expires_at is null or t.expires_at > now())
         ) as ok
       ) t
       left join lateral (
         select e.tx, e.position, e.event_type, e.aggregate_type, e.aggregate_id, e.occurred_at
         from event_store e
         where t.ok and e.user_id = c.user_id
           and (e.tx, e.position) > (c.tx, c.pos)
           and e.tx < event_store_sealed_bound()
         order by e.tx, e.position
         limit ${BATCH}
       ) e on true
       order by c.sub, e.tx, e.position`,
      [
        subs.map(([id]) => id),
        subs.map(([, s]) => s.userId),
        subs.map(([, s]) => s.cursor[0]),
        subs.map(([, s]) => s.cursor[1]),
        subs.map(([, s]) => s.tokenId),
      ]
    )) as { rows: SweepRow[] }

    const alertIds = [
      ...new Set(rows.filter((r) => r.aggregate_type === 'alert').map((r) => r.aggregate_id!)),
    ]
    const found = alertIds.length ? await Alert.query().whereIn('id', alertIds) : []
    const alerts = new Map(found.map((a) => [a.id, a]))

    const scanned = new Map<number, number>()
    for (const row of rows) {
      const sub = this.#subscribers.get(row.sub)
      if (!sub) continue
      if (!row.token_ok) {
        sub.end('token_revoked')
        continue
      }
      if (row.tx === null || row.position === null) continue
      scanned.set(row.sub, (scanned.get(row.sub) ?? 0) + 1)
      sub.cursor = [row.tx, row.position]
      const alert = row.aggregate_type === 'alert' ? alerts.get(row.aggregate_id!) : undefined
      if (!alert) continue
      sub.send({
        id: encodeCursor(sub.cursor),
        event: row.event_type!,
        occurredAt: row.occurred_at!,
        alert,
      })
    }
    if ([...scanned.values()].some((n) => n >= BATCH)) this.#again = true
  }
}

/** The streams of this process. */
const hub = new AlertStreamHub()
export default hub
