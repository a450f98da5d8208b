import { configProvider } from '@adonisjs/core'
import { defineConfig, stores } from '@adonisjs/limiter'
import type { LimiterConsumptionOptions, LimiterDatabaseStoreConfig } from '@adonisjs/limiter/types'

/**
 * `stores.database`, on a client of the connection's pool rather than on
 * `db.connection()`. Inside a global transaction (the test suite's), the
 * latter *is* that transaction, and the limiter keeps every store it builds:
 * its counters went on running on that transaction's connection long after
 * the transaction had ended, in the middle of whatever used the connection
 * next, and as 503s on every limited route once that connection was gone
 * (the suite failed that way about one run in five). Counters are never part
 * of the caller's transaction.
 */
function databaseStore(
  config: Omit<LimiterDatabaseStoreConfig, keyof LimiterConsumptionOptions> & {
    connectionName: string
  }
) {
  return configProvider.create(async (app) => {
    const db = await app.container.make('lucid.db')
    const emitter = await app.container.make('emitter')
    const { QueryClient } = await import('@adonisjs/lucid/database')
    const { default: LimiterDatabaseStore } = await import('@adonisjs/limiter/stores/database')
    // Looked up for each store, as the framework does: a connection closed and
    // reopened since is not the one an older store was given.
    return (options: LimiterConsumptionOptions) => {
      db.manager.connect(config.connectionName)
      const connection = db.manager.get(config.connectionName)?.connection
      if (!connection) {
        throw new Error(`config/limiter.ts: no database connection "${config.connectionName}"`)
      }
      const client = new QueryClient('write', connection, emitter)
      return new LimiterDatabaseStore(client, { ...config, ...options })
    }
  })
}

const limiterConfig = defineConfig({
  // Counters live in PostgreSQL so every API replica shares them.
  default: 'database',
  stores: {
    database: databaseStore({ tableName: 'rate_limits', connectionName: 'postgres' }),
    memory: stores.memory({}),
  },
})

export default limiterConfig

declare module '@adonisjs/limiter/types' {
  export interface LimitersList extends InferLimiters<typeof limiterConfig> {}
}
