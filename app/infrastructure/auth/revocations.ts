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

/**
 * Token revocations from every process, heard from PostgreSQL: the token
 * tables announce deletes and relevant changes on commit (migration 23). One
 * connection per process, opened when the first caching provider subscribes.
 *
 * `listening` says whether an announcement made now would reach this process:
 * the caches keep entries long only while it is true. Whenever it becomes true
 * (first connection, reconnection after a loss) the subscribers drop what they
 * hold, since revocations made meanwhile were not heard; a lost connection does
 * the same, and is retried every second.
 */
class Revocations {
  #subscribers = new Set<RevocationSubscriber>()
  #client: pg.Client | null = null
  #listening = false
  #connecting: Promise<void> | null = null
  #retry: NodeJS.Timeout | null = null
  #closed = false
  #hooked = false
  /** One warning per outage, not one per retry. */
  #warned = false

  get listening() {
    return this.#listening
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
    const client = this.#client
    this.#client = null
    this.#listening = false
    await client?.end().catch(() => {})
  }

  async #connect() {
    const client = new pg.Client({
      ...(dbConfig.connections.postgres.connection as pg.ClientConfig),
      // a connection dropped without a word (a NAT, a proxy) must still be noticed
      keepAlive: true,
    })
    this.#client = client
    const lost = () => {
      if (this.#client !== client) return
      this.#client = null
      this.#listening = false
      this.#gap()
      client.end().catch(() => {})
      if (!this.#closed) this.#retry = setTimeout(() => void this.start(), RETRY_MS)
    }
    client.on('error', lost)
    client.on('end', lost)
    client.on('notification', (message) => this.#heard(message.payload ?? ''))
    try {
      await client.connect()
      await client.query(`listen ${CHANNEL}`)
      if (this.#client !== client) return
      this.#listening = true
      this.#warned = false
      this.#gap()
    } catch (error) {
      if (!this.#warned) {
        this.#warned = true
        logger.warn({ err: error }, 'token revocations: cannot LISTEN; tokens cached briefly')
      }
      lost()
    }
  }

  #heard(payload: string) {
    const separator = payload.indexOf(':')
    if (separator < 0) return
    const table = payload.slice(0, separator)
    const rest = payload.slice(separator + 1)
    const ids = rest === '*' ? '*' : new Set(rest.split(','))
    for (const subscriber of this.#subscribers) subscriber.revoked(table, ids)
  }

  #gap() {
    for (const subscriber of this.#subscribers) subscriber.gap()
  }
}

const revocations = new Revocations()
export default revocations
