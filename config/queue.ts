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
    // A job whose worker stopped renewing its lease this long ago is taken back.
    stalledThreshold: (env.get('QUEUE_STALLED_THRESHOLD') ?? '30s') as '30s',
    stalledInterval: (env.get('QUEUE_STALLED_INTERVAL') ?? '10s') as '10s',
    maxStalledCount: 5,
    gracefulShutdown: true,
  },

  // tests/jobs holds probe jobs for the worker-fault tests; never loaded outside tests.
  locations: [
    './app/jobs/**/*.{ts,js}',
    ...(env.get('NODE_ENV') === 'test' ? ['./tests/jobs/**/*.ts'] : []),
  ],
})
