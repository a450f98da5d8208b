import { test } from '@japa/runner'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import { catalogOf, connectionStringFor } from '#tests/helpers/catalog'

/**
 * Runs a package.json script exactly as written (its leading `node` is this
 * Node), against `databaseUrl`. Resolves with the exit code and the output.
 */
function runScript(name: string, databaseUrl: string) {
  const scripts = JSON.parse(readFileSync(app.makePath('package.json'), 'utf8')).scripts
  const [command, ...args] = (scripts[name] as string).split(' ')
  if (command !== 'node') throw new Error(`${name}: expected a node command, got ${command}`)
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: app.appRoot.pathname,
      // DATABASE_URL wins over DB_* and over .env: only the scratch database is touched.
      env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: databaseUrl },
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

test.group('Database | migrate, fresh, fresh, rollback every batch, migrate', (group) => {
  const database = `catalog_${randomBytes(4).toString('hex')}`
  const url = connectionStringFor(database)

  group.setup(async () => {
    await db.rawQuery(`create database ${database}`)
    return async () => {
      await db.rawQuery(`drop database if exists ${database} with (force)`)
    }
  })

  test('each step succeeds and leaves the same catalog; rollback leaves nothing', async ({
    assert,
  }) => {
    const step = async (script: string) => {
      const { code, output } = await runScript(script, url)
      assert.equal(code, 0, `pnpm ${script} failed:\n${output}`)
      return catalogOf(url)
    }

    const migrated = await step('db:migrate')
    // the suite's own database was migrated by the same files: the same catalog
    assert.deepEqual(migrated, await catalogOf(connectionStringFor(await currentDatabase())))
    assert.includeMembers(migrated, [
      "table users (created_at timestamp with time zone not null default now(), email text, id uuid not null default uuid_generate_v7(), preferences jsonb not null default '{}'::jsonb, telegram_chat_id bigint, updated_at timestamp with time zone not null default now(), wallet_address text not null, webhook_secret text)",
    ])
    assert.isAbove(migrated.filter((l) => l.startsWith('function ')).length, 10)
    assert.isAbove(migrated.filter((l) => l.startsWith('trigger ')).length, 10)

    assert.deepEqual(await step('db:migrate:fresh'), migrated, 'first fresh')
    assert.deepEqual(await step('db:migrate:fresh'), migrated, 'second fresh')

    let rolledBack: string[] = migrated
    for (let batch = 0; batch < 50; batch++) {
      rolledBack = await step('db:rollback')
      const { rows } = await queryScratch(url, 'select count(*)::int as n from adonis_schema')
      if (rows[0].n === 0) break
    }
    // every down() removed what its up() created: no table, function or trigger left
    assert.deepEqual(rolledBack, [])

    assert.deepEqual(await step('db:migrate'), migrated, 'migrate after rolling everything back')
  }).timeout(180_000)

  test('a database migrated by files that no longer exist is told to rebuild, and fresh rebuilds it', async ({
    assert,
  }) => {
    // as a database migrated by the 25-file set before it became one file per table
    await queryScratch(
      url,
      `insert into adonis_schema (name, batch) values ('database/migrations/9_signal_natural_key', 1)`
    )
    const before = await catalogOf(url)
    const refused = await runScript('db:migrate', url)
    assert.equal(refused.code, 1)
    assert.include(refused.output, '9_signal_natural_key')
    assert.include(refused.output, 'pnpm db:migrate:fresh')
    assert.deepEqual(await catalogOf(url), before, 'nothing was changed')

    const rebuilt = await runScript('db:migrate:fresh', url)
    assert.equal(rebuilt.code, 0, rebuilt.output)
    const { rows } = await queryScratch(url, 'select name from adonis_schema')
    assert.notInclude(
      rows.map((r: { name: string }) => r.name),
      'database/migrations/9_signal_natural_key'
    )
    assert.equal((await runScript('db:migrate', url)).code, 0)
  }).timeout(120_000)
})

async function currentDatabase(): Promise<string> {
  const { rows } = await db.rawQuery('select current_database() as name')
  return rows[0].name
}

async function queryScratch(url: string, sql: string) {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await client.query(sql)
  } finally {
    await client.end()
  }
}
