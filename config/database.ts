import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig } from '@adonisjs/lucid'

/*
 * DATABASE_URL wins over DB_*; scripts/with-db.js fills DB_* with an embedded
 * PostgreSQL in development and tests when neither is set.
 */
const url = env.get('DATABASE_URL')
const target = url
  ? { connectionString: url }
  : {
      host: env.get('DB_HOST', '127.0.0.1'),
      port: env.get('DB_PORT', 5432),
      user: env.get('DB_USER', 'postgres'),
      password: env.get('DB_PASSWORD')?.release(),
      database: env.get('DB_DATABASE', 'defi_assistant'),
    }

// Fail fast instead of hanging when the server is gone: the exception
// handler turns these failures into 503s. (pg options knex passes through.)
const connection = { ...target, connectionTimeoutMillis: 2_000, statement_timeout: 30_000 }

const dbConfig = defineConfig({
  connection: 'postgres',
  prettyPrintDebugQueries: app.inDev,
  connections: {
    postgres: {
      client: 'pg',
      connection,
      pool: {
        min: 0,
        max: env.get('DB_POOL_MAX', 10),
        acquireTimeoutMillis: 2_000,
        createTimeoutMillis: 2_000,
      },
      migrations: {
        naturalSort: true,
        paths: ['database/migrations'],
        disableRollbacksInProduction: true,
      },
      seeders: {
        paths: ['database/seeders'],
        naturalSort: true,
      },
      // Column types are declared by hand on the models (JSONB shapes included).
      schemaGeneration: {
        enabled: false,
      },
    },
  },
})

export default dbConfig
