import env from '#start/env'
import { defineConfig, drivers, exponentialBackoff } from '@adonisjs/queue'

/*
 * Jobs live in PostgreSQL (the knex adapter): workers claim them with
 * SELECT ... FOR UPDATE SKIP LOCKED, so any number of workers can run, and a
 * job whose worker died (no lease renewal within stalledThreshold) is picked
 * up again. No Redis needed.
 */
export default defineConfig({
  default: 'database',

  adapters: {
    database: drivers.database({ connectionName: 'postgres' }),
    sync: drivers.sync(),
  },

  defaultJobOptions: {
    maxRetries: 5,
    retry: { maxRetries: 5, backoff: exponentialBackoff({ baseDelay: '1s', maxDelay: '5m' }) },
    removeOnComplete: { age: '7d' },
    removeOnFail: { age: '30d' },
  },

  worker: {
    concurrency: env.get('QUEUE_CONCURRENCY', 5),
    idleDelay: '500ms',
    stalledThreshold: '30s',
    stalledInterval: '10s',
    maxStalledCount: 5,
    gracefulShutdown: true,
  },

  locations: ['./app/jobs/**/*.{ts,js}'],
})
