import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import db from '@adonisjs/lucid/services/db'
import { LATEST_POSITIONS_SQL } from '#infrastructure/database/queries/latest_positions_sql'
import { catalogOf, connectionStringFor } from '#tests/helpers/catalog'
import { LATEST_BEFORE_16, MigrationsSplit } from '#tests/helpers/migrations'

/*
 * Migration 16 (user_wallets, docs/adr/0014) is the first that moves data: a
 * database at the schema before it, holding users, positions with history,
 * heads, rule states, snoozes, intents and alerts, is migrated by Lucid's
 * migrator with the project's own files, checked, rolled back, checked, and
 * migrated again. A database of its own on the suite's server.
 */

const LATEST_NOW = LATEST_POSITIONS_SQL.replaceAll(':user', '$1')

// Every table whose rows are keyed by (user, protocol, chain) before 16, and by wallet after.
const KEYED = [
  'position_heads',
  'health_factor_alert_state',
  'liquidation_probability_alert_state',
  'position_snoozes',
  'intents',
] as const
const TABLES = ['users', 'positions', 'alerts', 'intent_executions', ...KEYED] as const
// The tables migration 16 gives a wallet_address (positions had one from the start).
const ADDS_WALLET: string[] = [...KEYED, 'alerts']

const USERS = 40

/**
 * The data, at the schema before 16, in set-based SQL: 40 users; 30 of them hold
 * positions on two protocols on chain 1 and a third of those also on chain 10, each
 * with 6 hourly snapshots; rule states, snoozes, intents (with an execution),
 * position alerts (metadata.snapshotId) and signal alerts (none) for some.
 */
const DATA = [
  `insert into users (wallet_address, created_at)
   select '0x' || lpad(to_hex(4096 + g), 40, '0'), timestamptz '2026-01-01' + make_interval(days => g)
   from generate_series(1, ${USERS}) g`,
  `insert into positions (user_id, wallet_address, protocol, chain_id, health_factor, collateral, debt, metadata, snapshot_at)
   select u.id, u.wallet_address, k.protocol, k.chain_id, round((1 + random())::numeric, 6),
          jsonb_build_array(jsonb_build_object('symbol', 'WETH', 'amount', '1', 'valueUsd', '3000', 'liquidationThreshold', '0.8')),
          jsonb_build_array(jsonb_build_object('symbol', 'USDC', 'amount', (1000 + h)::text, 'valueUsd', (1000 + h)::text)),
          jsonb_build_object('block', 21000000 + h),
          timestamptz '2026-03-01' + make_interval(hours => h)
   from (select *, row_number() over (order by wallet_address) n from users) u
   cross join (values ('aave_v3', 1), ('compound_v3', 1), ('aave_v3', 10)) k(protocol, chain_id)
   cross join generate_series(0, 5) h
   where u.n <= 30 and (k.chain_id = 1 or u.n % 3 = 0)`,
  `insert into health_factor_alert_state (user_id, protocol, chain_id, armed, band, last_alert_at, last_snapshot_at)
   select user_id, protocol, chain_id, snapshot_at < '2026-03-01 05:00', 'low', snapshot_at, snapshot_at
   from position_heads where protocol = 'aave_v3'`,
  `insert into liquidation_probability_alert_state (user_id, protocol, chain_id, armed, band, last_snapshot_at)
   select user_id, protocol, chain_id, true, null, snapshot_at from position_heads where chain_id = 1`,
  `insert into position_snoozes (user_id, protocol, chain_id, until)
   select user_id, protocol, chain_id, timestamptz '2026-04-01' from position_heads where protocol = 'compound_v3'`,
  `insert into intents (user_id, name, protocol, chain_id, condition, action, status)
   select user_id, 'repay when low', protocol, chain_id,
          '{"type":"health_factor_below","value":"1.3"}', '{"type":"repay","asset":"USDC","amount":"100"}',
          case when chain_id = 10 then 'paused' else 'active' end
   from position_heads where protocol = 'aave_v3'`,
  `insert into alerts (user_id, type, severity, channel, message, metadata, status)
   select user_id, 'health_factor', 'high', 'in_app', 'Health factor low',
          jsonb_build_object('snapshotId', snapshot_id, 'protocol', protocol, 'chainId', chain_id), 'sent'
   from position_heads`,
  `insert into signals (type, asset, severity, detected_at) values ('depeg', 'USDC', 'high', '2026-03-02')`,
  `insert into alerts (user_id, signal_id, type, severity, channel, message, metadata, status)
   select u.id, s.id, 'depeg', 'high', 'in_app', 'Depeg on USDC', '{"asset":"USDC"}', 'sent'
   from users u cross join signals s`,
  `insert into intent_executions (intent_id, user_id, snapshot_id, condition, action, note)
   select i.id, i.user_id, h.snapshot_id, i.condition, i.action, 'simulated'
   from intents i join position_heads h using (user_id, protocol, chain_id) where i.status = 'active'`,
  'analyze',
]

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** Each table's rows as sorted JSON text, without the column migration 16 adds. */
async function contents(client: pg.Client) {
  const out: Record<string, string[]> = {}
  for (const table of TABLES) {
    const { rows } = await client.query(
      `select (case when $1 then to_jsonb(t) - 'wallet_address' else to_jsonb(t) end)::text as row
       from ${table} t order by 1`,
      [ADDS_WALLET.includes(table)]
    )
    out[table] = rows.map((r) => r.row)
  }
  return out
}

/** What GET /positions answers for every user, through `sql`. */
async function latestOfEveryUser(client: pg.Client, sql: string) {
  const { rows: users } = await client.query('select id from users order by wallet_address')
  const out: Record<string, unknown[]> = {}
  for (const { id } of users) out[id] = (await client.query(sql, [id])).rows
  return out
}

/** The checks of the data migration 16 moved; `before` is what the database held before it. */
async function assertMoved(
  assert: any,
  client: pg.Client,
  before: { contents: Record<string, string[]>; latest: Record<string, unknown[]> }
) {
  const { rows: wallets } = await client.query(`
    select u.id, u.wallet_address, u.created_at, count(w.id)::int as n,
           bool_and(w.kind = 'proven' and w.proof = 'sign_in' and w.address = u.wallet_address
                    and w.label is null and w.preferences = '{}' and w.created_at = u.created_at) as sign_in
    from users u left join user_wallets w on w.user_id = u.id
    group by u.id`)
  assert.lengthOf(wallets, USERS)
  for (const w of wallets) {
    assert.equal(w.n, 1, `user ${w.wallet_address} has exactly one wallet`)
    assert.isTrue(w.sign_in, `user ${w.wallet_address}: proven, sign_in, their address`)
  }
  assert.equal(
    (await client.query('select count(*)::int as n from user_wallets')).rows[0].n,
    USERS,
    'no wallet of nobody'
  )

  // every keyed row got its user's (sign-in) wallet, and nothing else changed
  for (const table of [...KEYED, 'positions']) {
    const { rows } = await client.query(`
      select count(*)::int as n,
             count(*) filter (where t.wallet_address is distinct from u.wallet_address)::int as other
      from ${table} t join users u on u.id = t.user_id`)
    assert.equal(rows[0].other, 0, `${table}: every row is its user's sign-in wallet's`)
    assert.equal(rows[0].n, before.contents[table].length, `${table}: count unchanged`)
  }
  const { rows: heads } = await client.query(`
    select count(*)::int as n from position_heads h join positions p on p.id = h.snapshot_id
    where p.wallet_address = h.wallet_address and p.user_id = h.user_id`)
  assert.equal(heads[0].n, before.contents.position_heads.length, 'each head names its snapshot')
  const { rows: alerts } = await client.query(`
    select count(*) filter (where a.metadata ? 'snapshotId' and a.wallet_address = u.wallet_address)::int as position,
           count(*) filter (where not a.metadata ? 'snapshotId' and a.wallet_address is null)::int as other,
           count(*)::int as n
    from alerts a join users u on u.id = a.user_id`)
  assert.equal(
    alerts[0].position + alerts[0].other,
    alerts[0].n,
    "a position's alert names the wallet, a signal's none"
  )
  assert.isAbove(alerts[0].position, 0)
  assert.isAbove(alerts[0].other, 0)
  assert.deepEqual(await contents(client), before.contents, 'rows unchanged but for the wallet')

  // GET /positions answers what it answered before
  assert.deepEqual(await latestOfEveryUser(client, LATEST_NOW), before.latest)
}

test.group('Database | migration 16 moves every user to their first wallet', (group) => {
  // The tests run in order, each on what the one before left (one database).
  group.each.timeout(60_000)
  const database = `wallets16_${randomBytes(4).toString('hex')}`
  const url = connectionStringFor(database)
  const split = new MigrationsSplit(16)
  let beforeCatalog: string[] = []
  let before: { contents: Record<string, string[]>; latest: Record<string, unknown[]> }

  group.setup(async () => {
    await db.rawQuery(`create database ${database}`)
    return async () => {
      split.cleanup()
      await db.rawQuery(`drop database if exists ${database} with (force)`)
    }
  })

  test('a database at the schema before 16, holding data', async ({ assert }) => {
    const ran = await split.run(url, 'before')
    assert.lengthOf(ran, 15)
    assert.notInclude(ran.join(), '16_')
    // named as the project's migrations path names them: `up` below is `migration:run`'s own
    await withClient(url, async (client) => {
      const { rows } = await client.query('select name from adonis_schema order by id')
      assert.deepEqual(
        rows.map((r) => r.name),
        ran.map((name) => `database/migrations/${name.split('/').pop()}`)
      )
    })
    beforeCatalog = await catalogOf(url)
    assert.notInclude(beforeCatalog.join('\n'), 'user_wallets')

    before = await withClient(url, async (client) => {
      for (const statement of DATA) await client.query(statement)
      return {
        contents: await contents(client),
        latest: await latestOfEveryUser(client, LATEST_BEFORE_16),
      }
    })
    assert.lengthOf(before.contents.positions, 30 * 2 * 6 + 10 * 6)
    assert.lengthOf(before.contents.position_heads, 30 * 2 + 10)
    for (const table of TABLES) assert.isNotEmpty(before.contents[table], table)
    assert.lengthOf(
      Object.values(before.latest).filter((rows) => rows.length > 0),
      30
    )
  })

  test('up: one proven sign-in wallet each, every keyed row on it, GET /positions unchanged', async ({
    assert,
  }) => {
    const ran = await split.run(url, 'up')
    assert.deepEqual(
      ran.map((name) => name.split('/').pop()),
      ['16_create_user_wallets_table'],
      'only migration 16 is pending'
    )
    await withClient(url, (client) => assertMoved(assert, client, before))

    // and users created afterwards get their sign-in wallet from the trigger
    await withClient(url, async (client) => {
      await client.query(`insert into users (wallet_address) values ('0x${'ab'.repeat(20)}')`)
      const { rows } = await client.query(
        `select kind, proof from user_wallets where address = '0x${'ab'.repeat(20)}'`
      )
      assert.deepEqual(rows, [{ kind: 'proven', proof: 'sign_in' }])
      await client.query(`delete from users where wallet_address = '0x${'ab'.repeat(20)}'`)
    })
  })

  test('down restores the schema before 16 and its data; up again moves it again', async ({
    assert,
  }) => {
    await split.run(url, { down: 1 })
    assert.deepEqual(await catalogOf(url), beforeCatalog, 'the schema before 16')
    await withClient(url, async (client) => {
      assert.deepEqual(await contents(client), before.contents, 'the data before 16')
      assert.deepEqual(await latestOfEveryUser(client, LATEST_BEFORE_16), before.latest)
    })

    await split.run(url, 'up')
    await withClient(url, (client) => assertMoved(assert, client, before))
  })
})
