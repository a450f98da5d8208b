import pg from 'pg'
import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import dbConfig from '#config/database'
import eventsConfig from '#config/events'
import { integrateEvents } from '#services/events/integrator'

/**
 * The integrator inside a worker process (`node ace queue:work`): a pass as
 * soon as an append commits (LISTEN event_store_pending, 6_create_event_store_table.ts) and on
 * a short timer, so the seal lag is one pass after the commit. Any number of
 * workers may run one: the advisory lock lets a single pass run at a time, and
 * a worker that finds it taken simply waits for the next wake-up. The
 * scheduled IntegrateEventsJob is the fallback where no loop runs.
 */
export class IntegratorLoop {
  #listener: pg.Client | null = null
  #timer: NodeJS.Timeout | null = null
  #running: Promise<void> | null = null
  #again = false
  #stopped = false

  start() {
    this.#timer = setInterval(() => this.wake(), eventsConfig.integrateEveryMs)
    void this.#listen()
    this.wake()
  }

  /** A pass now, or right after the one in progress (notifications coalesce into one). */
  wake() {
    if (this.#stopped) return
    if (this.#running) {
      this.#again = true
      return
    }
    this.#running = this.#drain()
      .catch((error) => logger.warn({ err: error }, 'event integration failed; retrying'))
      .finally(() => {
        this.#running = null
        if (this.#again) {
          this.#again = false
          this.wake()
        }
      })
  }

  async #drain() {
    // Several passes while each one finds work: a backlog is worked off without
    // waiting for a timer tick between blocks.
    for (let i = 0; i < 10 && !this.#stopped; i++) {
      const pass = await integrateEvents()
      if (!pass.ran || !pass.block) return
    }
  }

  async #listen() {
    const client = new pg.Client(dbConfig.connections.postgres.connection as pg.ClientConfig)
    client.on('notification', () => this.wake())
    // A lost connection only costs promptness: the timer still runs passes.
    client.on('error', () => {
      if (this.#listener === client) this.#listener = null
      if (!this.#stopped) setTimeout(() => void this.#listen(), 1000)
    })
    try {
      await client.connect()
      await client.query('listen event_store_pending')
      if (this.#stopped) return void (await client.end())
      this.#listener = client
    } catch (error) {
      logger.warn({ err: error }, 'event integrator could not LISTEN; timer only')
      client.end().catch(() => {})
    }
  }

  async stop() {
    this.#stopped = true
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    await this.#listener?.end().catch(() => {})
    this.#listener = null
    await this.#running
  }
}

/** Starts the loop in this process until it terminates. */
export function startIntegratorLoop(): IntegratorLoop {
  const loop = new IntegratorLoop()
  loop.start()
  app.terminating(() => loop.stop())
  return loop
}
