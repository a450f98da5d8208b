import { randomUUID } from 'node:crypto'
import pg from 'pg'
import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import dbConfig from '#config/database'

export interface RevocationSubscriber {
  /** Tokens of `table` deleted or changed: their ids, or '*' for all of them. */
  revoked(table: string, ids: Set<string> | '*'): void
  /** Revocations may have gone unheard (not listening until now): drop everything. */
  gap(): void
}

const CHANNEL = 'access_tokens_revoked'
const RETRY_MS = 1_000
/** Nothing announced arrives unless it can: the listener pings itself this often... */
const HEARTBEAT_MS = 2_000
/** ...and counts as lost if the echo takes longer (both well under the 5 s unheard bound). */
const ECHO_TIMEOUT_MS = 1_000
/** What 8_create_auth_tables.ts installs; without all of them enabled, nothing is announced. */
const TRIGGERS = ['deleted', 'changed', 'truncated'].flatMap((t) =>
  ['auth_access_tokens', 'api_client_tokens'].map((table) => `${table}_${t}`)
)

/**
 * Token revocations from every process, heard from PostgreSQL: the token
 * tables announce deletes, truncates and relevant changes on commit
 * (8_create_auth_tables.ts). One connection per process, opened when the first caching
 * provider subscribes.
 *
 * `listening` says whether an announcement made now would reach this process:
 * the caches keep entries long only while it is true. It is true only once the
 * LISTEN is in place and the announcing triggers are there and enabled, and
 * only as long as the connection echoes a ping every 2 s (a connection dropped
 * without a word — a NAT, a failover, a transaction-pooling proxy that never
 * delivers — is noticed within 3 s, not after TCP keepalive's two hours).
 * Whenever it changes, the subscribers drop what they hold: revocations made
 * meanwhile were not heard. A lost connection is retried every second.
 */
class Revocations {
  #subscribers = new Set<RevocationSubscriber>()
  #client: pg.Client | null = null
  #listening = false
  #connecting: Promise<void> | null = null
  #retry: NodeJS.Timeout | null = null
  #heartbeat: NodeJS.Timeout | null = null
  #echo: { nonce: string; timer: NodeJS.Timeout } | null = null
  #closed = false
  #hooked = false
  /** One warning per outage, not one per retry. */
  #warned = false

  get listening() {
    return this.#listening
  }

  /** The listening connection's server process id (diagnostics, tests). */
  get backendPid(): number | null {
    return this.#listening
      ? ((this.#client as unknown as { processID?: number })?.processID ?? null)
      : null
  }

  subscribe(subscriber: RevocationSubscriber) {
    this.#subscribers.add(subscriber)
    void this.start()
  }

  /** Connects if not connected; resolves once listening (or once the attempt failed). */
  start(): Promise<void> {
    if (this.#closed || this.#client) return this.#connecting ?? Promise.resolve()
    if (this.#retry) clearTimeout(this.#retry)
    this.#retry = null
    if (!this.#hooked) {
      this.#hooked = true
      app.terminating(() => this.close())
    }
    this.#connecting = this.#connect().finally(() => (this.#connecting = null))
    return this.#connecting
  }

  async close() {
    this.#closed = true
    if (this.#retry) clearTimeout(this.#retry)
    this.#stopHeartbeat()
    const client = this.#client
    this.#client = null
    this.#listening = false
    await client?.end().catch(() => {})
  }

  async #connect() {
    const client = new pg.Client({
      ...(dbConfig.connections.postgres.connection as pg.ClientConfig),
      application_name: 'token-revocations',
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    })
    this.#client = client
    const lost = (reason: unknown) => this.#lost(client, reason)
    client.on('error', lost)
    client.on('end', () => lost(new Error('connection ended')))
    client.on('notification', (message) => this.#heard(message.payload ?? ''))
    try {
      await client.connect()
      await client.query(`listen ${CHANNEL}`)
      const { rows } = await client.query(
        `select count(*)::int as n from pg_trigger where tgname = any($1) and tgenabled in ('O', 'A')`,
        [TRIGGERS]
      )
      if (rows[0].n !== TRIGGERS.length) {
        throw new Error(
          'the token tables do not announce revocations (8_create_auth_tables.ts not run, or its triggers disabled)'
        )
      }
      if (this.#client !== client) return
      this.#listening = true
      this.#warned = false
      this.#gap()
      this.#heartbeat = setInterval(() => this.#ping(client), HEARTBEAT_MS)
      this.#heartbeat.unref()
    } catch (error) {
      lost(error)
    }
  }

  #lost(client: pg.Client, reason: unknown) {
    if (this.#client !== client) return
    const wasListening = this.#listening
    this.#client = null
    this.#listening = false
    this.#stopHeartbeat()
    this.#gap()
    client.end().catch(() => {})
    if (wasListening || !this.#warned) {
      this.#warned = true
      logger.warn(
        { err: reason },
        'token revocations: not listening; cached tokens live ACCESS_TOKEN_CACHE_MS until it is back'
      )
    }
    if (!this.#closed) this.#retry = setTimeout(() => void this.start(), RETRY_MS)
  }

  #ping(client: pg.Client) {
    if (this.#echo) return
    const nonce = `ping:${randomUUID()}`
    const timer = setTimeout(() => this.#lost(client, new Error('no echo')), ECHO_TIMEOUT_MS)
    timer.unref()
    this.#echo = { nonce, timer }
    client
      .query('select pg_notify($1, $2)', [CHANNEL, nonce])
      .catch((error) => this.#lost(client, error))
  }

  #stopHeartbeat() {
    if (this.#heartbeat) clearInterval(this.#heartbeat)
    if (this.#echo) clearTimeout(this.#echo.timer)
    this.#heartbeat = null
    this.#echo = null
  }

  #heard(payload: string) {
    if (this.#echo && payload === this.#echo.nonce) {
      clearTimeout(this.#echo.timer)
      this.#echo = null
      return
    }
    const separator = payload.indexOf(':')
    if (separator < 0) return
    const table = payload.slice(0, separator)
    const rest = payload.slice(separator + 1)
    if (table === 'ping') return // another process's heartbeat
    const ids = rest === '*' ? '*' : new Set(rest.split(','))
    for (const subscriber of this.#subscribers) {
      try {
        subscriber.revoked(table, ids)
      } catch (error) {
        // this runs inside pg's socket handler: never throw there; forget everything instead
        logger.error({ err: error }, 'token revocations: a cache failed to evict')
        this.#gap()
      }
    }
  }

  #gap() {
    for (const subscriber of this.#subscribers) {
      try {
        subscriber.gap()
      } catch (error) {
        logger.error({ err: error }, 'token revocations: a cache failed to empty')
      }
    }
  }
}

const revocations = new Revocations()
export default revocations
