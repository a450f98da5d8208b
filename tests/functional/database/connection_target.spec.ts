import { test } from '@japa/runner'
import { existsSync, readFileSync } from 'node:fs'
import { parseEnv } from 'node:util'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'

/*
 * The suite truncates every table: it must run on the database its runner set
 * up (scripts/with-db.js, .ci/run), never the one a developer's .env names —
 * Adonis loads .env in tests too, and copies its values into process.env.
 */
test.group('Database | the suite runs where its runner pointed it', () => {
  test("the database queried is the runner's, not the one .env names", async ({ assert }) => {
    const dotEnvPath = app.makePath('.env')
    const dotEnv = existsSync(dotEnvPath) ? parseEnv(readFileSync(dotEnvPath, 'utf8')) : {}
    // a DATABASE_URL the runner gave (not copied from .env); an empty one is unset
    const given = process.env.DATABASE_URL
    const runnerUrl = given && given !== dotEnv.DATABASE_URL ? new URL(given) : null
    const expected = runnerUrl
      ? { port: runnerUrl.port || '5432', database: runnerUrl.pathname.slice(1) }
      : { port: process.env.DB_PORT, database: process.env.DB_DATABASE }

    const { rows } = await db.rawQuery(
      'select inet_server_port() as port, current_database() as database'
    )
    assert.isDefined(expected.database, 'the runner names the database')
    assert.equal(rows[0].database, expected.database)
    // null over a Unix socket; the runners here connect over TCP
    if (rows[0].port !== null) assert.equal(String(rows[0].port), expected.port)
  })

  // initdb picks the shell's locale: with none set, SQL_ASCII, which stores any byte
  // and compares text unlike production. The runners ask for UTF-8 explicitly.
  test('the database is UTF-8', async ({ assert }) => {
    const { rows } = await db.rawQuery(
      'select pg_encoding_to_char(encoding) as encoding from pg_database where datname = current_database()'
    )
    assert.equal(rows[0].encoding, 'UTF8')
  })
})
