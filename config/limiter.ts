import { defineConfig, stores } from '@adonisjs/limiter'

const limiterConfig = defineConfig({
  // Counters live in PostgreSQL so every API replica shares them.
  default: 'database',
  stores: {
    database: stores.database({ tableName: 'rate_limits', connectionName: 'postgres' }),
    memory: stores.memory({}),
  },
})

export default limiterConfig

declare module '@adonisjs/limiter/types' {
  export interface LimitersList extends InferLimiters<typeof limiterConfig> {}
}
