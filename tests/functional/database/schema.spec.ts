import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { sqlStateOf } from '#tests/helpers/database'

type ColumnRow = {
  table_name: string
  column_name: string
  data_type: string
  is_nullable: 'YES' | 'NO'
}

async function columnsOf(table: string) {
  const { rows } = await db.rawQuery<{ rows: ColumnRow[] }>(
    `select table_name, column_name, data_type, is_nullable
       from information_schema.columns where table_schema = 'public' and table_name = ?
      order by ordinal_position`,
    [table]
  )
  return Object.fromEntries(
    rows.map((r) => [r.column_name, `${r.data_type}${r.is_nullable === 'YES' ? ' null' : ''}`])
  )
}

/** Index definitions as PostgreSQL prints them, keyed by name. */
async function indexesOf(table: string) {
  const { rows } = await db.rawQuery<{ rows: { indexname: string; indexdef: string }[] }>(
    `select indexname, indexdef from pg_indexes where schemaname = 'public' and tablename = ?`,
    [table]
  )
  return Object.fromEntries(
    rows.map((r) => [r.indexname, r.indexdef.replace(/^.* USING btree /, '')])
  )
}

/** Constraint definitions (CHECK, UNIQUE, FOREIGN KEY), keyed by name. */
async function constraintsOf(table: string) {
  const { rows } = await db.rawQuery<{ rows: { conname: string; def: string }[] }>(
    `select conname, pg_get_constraintdef(oid) as def from pg_constraint
      where conrelid = ?::regclass order by conname`,
    [table]
  )
  return Object.fromEntries(rows.map((r) => [r.conname, r.def]))
}

const TS = 'timestamp with time zone'

test.group('Schema | tables and columns', () => {
  test('users', async ({ assert }) => {
    assert.deepEqual(await columnsOf('users'), {
      id: 'uuid',
      wallet_address: 'text',
      preferences: 'jsonb',
      telegram_chat_id: 'bigint null',
      email: 'text null',
      created_at: TS,
      updated_at: TS,
      // the webhook channel's signing secret, encrypted
      webhook_secret: 'text null',
    })
  })

  test('positions', async ({ assert }) => {
    assert.deepEqual(await columnsOf('positions'), {
      id: 'uuid',
      user_id: 'uuid',
      wallet_address: 'text',
      protocol: 'text',
      chain_id: 'integer',
      health_factor: 'numeric null',
      collateral: 'jsonb',
      debt: 'jsonb',
      metadata: 'jsonb',
      snapshot_at: TS,
      created_at: TS,
    })
  })

  test('signals', async ({ assert }) => {
    assert.deepEqual(await columnsOf('signals'), {
      id: 'uuid',
      type: 'text',
      asset: 'text',
      severity: 'text',
      data: 'jsonb',
      detected_at: TS,
      expires_at: `${TS} null`,
      status: 'text',
      created_at: TS,
      updated_at: TS,
    })
  })

  test('alerts', async ({ assert }) => {
    assert.deepEqual(await columnsOf('alerts'), {
      id: 'uuid',
      user_id: 'uuid',
      signal_id: 'uuid null',
      type: 'text',
      severity: 'text',
      channel: 'text',
      message: 'text',
      metadata: 'jsonb',
      status: 'text',
      attempts: 'integer',
      last_error: 'text null',
      sent_at: `${TS} null`,
      acknowledged_at: `${TS} null`,
      created_at: TS,
      updated_at: TS,
      // when a push channel may send it (quiet hours)
      deliver_after: `${TS} null`,
      // a sender's lease on the alert
      claimed_until: `${TS} null`,
      // the wallet of the position an alert is about (docs/adr/0014)
      wallet_address: 'text null',
    })
  })

  test('intents', async ({ assert }) => {
    assert.deepEqual(await columnsOf('intents'), {
      id: 'uuid',
      user_id: 'uuid',
      name: 'text null',
      protocol: 'text',
      chain_id: 'integer',
      condition: 'jsonb',
      action: 'jsonb',
      status: 'text',
      cooldown: 'integer',
      max_executions: 'integer null',
      executions_count: 'integer',
      last_triggered_at: `${TS} null`,
      expires_at: `${TS} null`,
      deleted_at: `${TS} null`,
      created_at: TS,
      updated_at: TS,
      // the proven wallet it acts for (docs/adr/0014)
      wallet_address: 'text',
    })
  })

  test('event_store', async ({ assert }) => {
    assert.deepEqual(await columnsOf('event_store'), {
      position: 'bigint',
      aggregate_type: 'text',
      aggregate_id: 'uuid',
      version: 'integer',
      event_type: 'text',
      payload: 'jsonb',
      metadata: 'jsonb',
      occurred_at: TS,
      created_at: TS,
      // whose event and the writing transaction (commit-safe reads);
      // user_id written by the writers, no uuid id and no per-event hash
      // (docs/adr/0012), the journal row an integrated event came from
      user_id: 'uuid null',
      tx: 'xid8',
      journal_id: 'bigint null',
    })
    const { rows } = await db.rawQuery(
      `select pg_get_serial_sequence('event_store', 'position') as seq`
    )
    assert.equal(rows[0].seq, 'public.event_store_position_seq')
  })

  test('primary keys default to UUIDv7, time-ordered', async ({ assert }) => {
    const { rows } = await db.rawQuery(
      `select uuid_generate_v7()::text as a, pg_sleep(0.002), uuid_generate_v7()::text as b`
    )
    const { a, b } = rows[0]
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.isTrue(a < b, 'a later UUIDv7 sorts after an earlier one')
    const ms = Number.parseInt(a.replace(/-/g, '').slice(0, 12), 16)
    assert.approximately(ms, Date.now(), 60_000)
  })
})

test.group('Schema | indexes, column order and direction', () => {
  test('each index of DESIGN.md §4 exists with its columns in order', async ({ assert }) => {
    const expected: Record<string, Record<string, string>> = {
      positions: {
        positions_user_id_snapshot_at_index: '(user_id, snapshot_at DESC)',
        positions_wallet_address_protocol_index: '(wallet_address, protocol)',
        positions_user_wallet_protocol_chain_snapshot_unique:
          '(user_id, wallet_address, protocol, chain_id, snapshot_at)',
      },
      user_wallets: {
        user_wallets_user_address_unique: '(user_id, address)',
        user_wallets_proven_address_unique: "(address) WHERE (kind = 'proven'::text)",
        user_wallets_address_index: '(address, user_id)',
      },
      signals: {
        signals_type_detected_at_index: '(type, detected_at DESC)',
        signals_asset_status_index: '(asset, status)',
        signals_status_detected_at_index: '(status, detected_at DESC)',
      },
      alerts: {
        alerts_user_id_status_created_at_index: '(user_id, status, created_at DESC)',
        alerts_status_created_at_index: '(status, created_at DESC)',
        alerts_user_signal_channel_unique: '(user_id, signal_id, channel)',
      },
      intents: {
        intents_user_id_status_index: '(user_id, status)',
        intents_status_protocol_chain_id_index: '(status, protocol, chain_id)',
      },
      event_store: {
        event_store_aggregate_version_unique: '(aggregate_type, aggregate_id, version)',
        event_store_pkey: '(tx, "position")',
        event_store_user_tx_position_index: '(user_id, tx, "position") WHERE (user_id IS NOT NULL)',
      },
      event_journal: {
        event_journal_pkey: '(id)',
        event_journal_tx_index: '(tx)',
      },
      event_store_blocks: {
        event_store_blocks_pkey: '(block_no)',
      },
      users: {
        users_wallet_address_unique: '(wallet_address)',
        users_telegram_chat_id_unique: '(telegram_chat_id)',
      },
    }
    for (const [table, indexes] of Object.entries(expected)) {
      const actual = await indexesOf(table)
      for (const [name, definition] of Object.entries(indexes)) {
        assert.equal(actual[name], definition, `${table}.${name}`)
      }
    }
  })

  test('unique indexes are unique', async ({ assert }) => {
    const { rows } = await db.rawQuery(
      `select c.relname from pg_index i join pg_class c on c.oid = i.indexrelid where i.indisunique and c.relname like any (array['%_unique'])`
    )
    const names = rows.map((r: { relname: string }) => r.relname)
    for (const name of [
      'users_wallet_address_unique',
      'positions_user_wallet_protocol_chain_snapshot_unique',
      'user_wallets_user_address_unique',
      'user_wallets_proven_address_unique',
      'alerts_user_signal_channel_unique',
      'event_store_aggregate_version_unique',
    ]) {
      assert.include(names, name)
    }
  })

  test('foreign keys cascade or set null as designed', async ({ assert }) => {
    assert.match(
      (await constraintsOf('positions')).positions_user_id_fkey,
      /REFERENCES users\(id\) ON DELETE CASCADE/
    )
    assert.match(
      (await constraintsOf('alerts')).alerts_user_id_fkey,
      /REFERENCES users\(id\) ON DELETE CASCADE/
    )
    assert.match(
      (await constraintsOf('alerts')).alerts_signal_id_fkey,
      /REFERENCES signals\(id\) ON DELETE SET NULL/
    )
    assert.match(
      (await constraintsOf('intents')).intents_user_id_fkey,
      /REFERENCES users\(id\) ON DELETE CASCADE/
    )
  })
})

const WALLET = '0x' + 'ab'.repeat(20)

test.group('Schema | constraints reject bad rows', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  async function user() {
    const { rows } = await db.rawQuery(
      `insert into users (wallet_address) values (?) returning id`,
      [WALLET]
    )
    return rows[0].id as string
  }
  async function signal() {
    const { rows } = await db.rawQuery(
      `insert into signals (type, asset, severity, detected_at) values ('depeg', 'USDC', 'high', now()) returning id`
    )
    return rows[0].id as string
  }

  test('users: wallet format, uniqueness, preferences must be an object', async ({ assert }) => {
    await user()
    assert.equal(await sqlStateOf(`insert into users (wallet_address) values ('0xABC')`), '23514')
    assert.equal(
      await sqlStateOf(`insert into users (wallet_address) values (?)`, ['0x' + 'AB'.repeat(20)]),
      '23514'
    )
    assert.equal(
      await sqlStateOf(`insert into users (wallet_address) values (?)`, [WALLET]),
      '23505'
    )
    assert.equal(
      await sqlStateOf(`insert into users (wallet_address, preferences) values (?, '[]')`, [
        '0x' + 'cd'.repeat(20),
      ]),
      '23514'
    )
  })

  test('positions: protocol, chain, HF sign, JSON shapes, one snapshot per instant', async ({
    assert,
  }) => {
    const userId = await user()
    const insert = (over: string) =>
      `insert into positions (user_id, wallet_address, protocol, chain_id, health_factor, collateral, debt, snapshot_at)
       values ('${userId}', '${WALLET}', ${over})`
    await db.rawQuery(insert(`'aave_v3', 1, 1.5, '[]', '[]', '2026-01-01T00:00:00Z'`))
    assert.equal(
      await sqlStateOf(insert(`'aave_v3', 1, 1.5, '[]', '[]', '2026-01-01T00:00:00Z'`)),
      '23505'
    )
    // the same instant on another chain is another position
    assert.isNull(
      await sqlStateOf(insert(`'aave_v3', 10, 1.5, '[]', '[]', '2026-01-01T00:00:00Z'`))
    )
    assert.equal(await sqlStateOf(insert(`'Aave V3', 1, 1.5, '[]', '[]', now()`)), '23514')
    assert.equal(await sqlStateOf(insert(`'aave_v3', 0, 1.5, '[]', '[]', now()`)), '23514')
    assert.equal(await sqlStateOf(insert(`'aave_v3', 1, -0.1, '[]', '[]', now()`)), '23514')
    assert.equal(await sqlStateOf(insert(`'aave_v3', 1, 1.5, '{}', '[]', now()`)), '23514')
    assert.equal(await sqlStateOf(insert(`'aave_v3', 1, 1.5, '[]', '"x"', now()`)), '23514')
    assert.equal(
      await sqlStateOf(
        `insert into positions (user_id, wallet_address, protocol, snapshot_at) values (uuid_generate_v7(), '${WALLET}', 'aave_v3', now())`
      ),
      '23503'
    )
  })

  // The format checks were rewritten without counted repetition:
  // the same limits, each tried on both sides.
  test('format checks: the exact limits of every pattern', async ({ assert }) => {
    const userId = await user()
    const wallet = (hexDigits: number) => `'0x${'a'.repeat(hexDigits)}'`
    const word = (length: number) => `'p${'_'.repeat(length - 1)}'`
    const cases: [string, string | null][] = [
      [`insert into users (wallet_address) values (${wallet(39)})`, '23514'],
      [`insert into users (wallet_address) values (${wallet(41)})`, '23514'],
      [`insert into users (wallet_address) values ('0x${'g'.repeat(40)}')`, '23514'],
      [`insert into users (wallet_address) values (${wallet(40)})`, null],
    ]
    const position = (walletAddress: string, protocol: string) =>
      `insert into positions (user_id, wallet_address, protocol, snapshot_at) values ('${userId}', ${walletAddress}, ${protocol}, now())`
    cases.push(
      [position(wallet(41), `'aave_v3'`), '23514'],
      [position(`'${WALLET}'`, word(65)), '23514'],
      [position(`'${WALLET}'`, `'3pool'`), '23514'],
      [position(`'${WALLET}'`, word(64)), null]
    )
    const event = (aggregateType: string) =>
      `insert into event_store (aggregate_type, aggregate_id, version, event_type) values (${aggregateType}, uuid_generate_v7(), 1, 'test.done')`
    cases.push([event(word(65)), '23514'], [event(`'_x'`), '23514'], [event(word(64)), null])
    const alert = (type: string) =>
      `insert into alerts (user_id, type, severity, channel, message) values ('${userId}', ${type}, 'high', 'in_app', 'm')`
    cases.push([alert(word(65)), '23514'], [alert(word(64)), null])
    const nonce = (length: number) =>
      `insert into siwe_nonces (nonce, expires_at) values ('${'N'.repeat(length)}', now())`
    cases.push([nonce(15), '23514'], [nonce(65), '23514'], [nonce(16), null], [nonce(64), null])
    cases.push([
      `insert into siwe_nonces (nonce, expires_at) values ('${'N'.repeat(15)}-', now())`,
      '23514',
    ])
    const code = (text: string) =>
      `insert into telegram_link_codes (code, user_id, expires_at) values ('${text}', '${userId}', now())`
    cases.push([code('a-_'.repeat(5)), '23514'], [code('a-_'.repeat(6)), null])
    cases.push([code('a!_'.repeat(6)), '23514'])
    const client = (name: string) => `insert into api_clients (name) values ('${name}')`
    cases.push([client('.x'), '23514'], [client('x'.repeat(65)), '23514'])
    cases.push([client('x.y-z_' + 'x'.repeat(58)), null])

    for (const [sql, expected] of cases) assert.equal(await sqlStateOf(sql), expected, sql)
  })

  test('no format check uses counted repetition (3 µs a row in PostgreSQL regexes)', async ({
    assert,
  }) => {
    const { rows } = await db.rawQuery(
      `select conrelid::regclass::text as "table", conname as name
       from pg_constraint
       where contype = 'c' and connamespace = 'public'::regnamespace
         and pg_get_constraintdef(oid) ~ '~ ''[^'']*\\{[0-9]'`
    )
    assert.deepEqual(rows, [])
  })

  test('signals: severity, status, type format, expiry after detection', async ({ assert }) => {
    const ok = `insert into signals (type, asset, severity, detected_at) values ('depeg', 'USDC', 'high', now())`
    assert.isNull(await sqlStateOf(ok))
    assert.equal(await sqlStateOf(ok.replace(`'high'`, `'extreme'`)), '23514')
    assert.equal(await sqlStateOf(ok.replace(`'depeg'`, `'Depeg!'`)), '23514')
    assert.equal(
      await sqlStateOf(
        `insert into signals (type, asset, severity, detected_at, status) values ('depeg', 'USDC', 'high', now(), 'gone')`
      ),
      '23514'
    )
    assert.equal(
      await sqlStateOf(
        `insert into signals (type, asset, severity, detected_at, expires_at) values ('depeg', 'USDC', 'high', now(), now() - interval '1 hour')`
      ),
      '23514'
    )
  })

  test('alerts: channel, status, severity, attempts, one per (user, signal, channel)', async ({
    assert,
  }) => {
    const userId = await user()
    const signalId = await signal()
    const insert = (channel: string, status = 'pending', attempts = 0, severity = 'high') =>
      `insert into alerts (user_id, signal_id, type, severity, channel, message, status, attempts)
       values ('${userId}', '${signalId}', 'depeg', '${severity}', '${channel}', 'm', '${status}', ${attempts})`
    assert.isNull(await sqlStateOf(insert('telegram')))
    await db.rawQuery(insert('telegram').replace('telegram', 'in_app'))
    assert.equal(await sqlStateOf(insert('in_app')), '23505')
    assert.equal(await sqlStateOf(insert('sms')), '23514')
    assert.equal(await sqlStateOf(insert('email', 'lost')), '23514')
    assert.equal(await sqlStateOf(insert('email', 'pending', -1)), '23514')
    assert.equal(await sqlStateOf(insert('email', 'pending', 0, 'urgent')), '23514')
  })

  test('intents: status, cooldown, max executions, JSON objects', async ({ assert }) => {
    const userId = await user()
    const insert = (status: string, cooldown = 60, max = 'null', condition = `'{}'`) =>
      `insert into intents (user_id, protocol, condition, action, status, cooldown, max_executions)
       values ('${userId}', 'aave_v3', ${condition}, '{}', '${status}', ${cooldown}, ${max})`
    assert.isNull(await sqlStateOf(insert('active')))
    assert.equal(await sqlStateOf(insert('done')), '23514')
    assert.equal(await sqlStateOf(insert('active', -1)), '23514')
    assert.equal(await sqlStateOf(insert('active', 60, '0')), '23514')
    assert.equal(await sqlStateOf(insert('active', 60, 'null', `'[]'`)), '23514')
  })

  test('deleting a user cascades to positions, alerts and intents; deleting a signal nulls alerts', async ({
    assert,
  }) => {
    const userId = await user()
    const signalId = await signal()
    await db.rawQuery(
      `insert into positions (user_id, wallet_address, protocol, snapshot_at) values (?, ?, 'aave_v3', now())`,
      [userId, WALLET]
    )
    await db.rawQuery(
      `insert into intents (user_id, protocol, condition, action) values (?, 'aave_v3', '{}', '{}')`,
      [userId]
    )
    const other = (
      await db.rawQuery(`insert into users (wallet_address) values (?) returning id`, [
        '0x' + 'cd'.repeat(20),
      ])
    ).rows[0].id
    await db.rawQuery(
      `insert into alerts (user_id, signal_id, type, severity, channel, message) values (?, ?, 'depeg', 'high', 'in_app', 'm'), (?, ?, 'depeg', 'high', 'in_app', 'm')`,
      [userId, signalId, other, signalId]
    )

    await db.rawQuery('delete from signals where id = ?', [signalId])
    const nulled = await db.rawQuery(
      'select count(*)::int as n from alerts where signal_id is null'
    )
    assert.equal(nulled.rows[0].n, 2)

    await db.rawQuery('delete from users where id = ?', [userId])
    const counts = await db.rawQuery(
      `select (select count(*) from positions)::int as p, (select count(*) from intents)::int as i,
              (select count(*) from alerts)::int as a`
    )
    assert.deepEqual(counts.rows[0], { p: 0, i: 0, a: 1 })
  })
})

test.group('Schema | event store is append-only', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('UPDATE, DELETE and TRUNCATE are refused by the database', async ({ assert }) => {
    await db.rawQuery(
      `insert into event_store (aggregate_type, aggregate_id, version, event_type, payload) values ('user', uuid_generate_v7(), 1, 'user.registered', '{}')`
    )
    assert.equal(await sqlStateOf(`update event_store set payload = '{"x":1}'`), '23001')
    assert.equal(await sqlStateOf(`delete from event_store`), '23001')
    assert.equal(await sqlStateOf(`truncate event_store`), '23001')
    const { rows } = await db.rawQuery(
      `select count(*)::int as n, max(payload::text) as p from event_store`
    )
    assert.deepEqual(rows[0], { n: 1, p: '{}' })
  })

  test('version must be positive and unique per aggregate; event types are dotted', async ({
    assert,
  }) => {
    const insert = (id: string, version: number, type = 'user.registered') =>
      `insert into event_store (aggregate_type, aggregate_id, version, event_type) values ('user', '${id}', ${version}, '${type}')`
    const id = '0190d9a0-0000-7000-8000-000000000001'
    assert.isNull(await sqlStateOf(insert(id, 1)))
    await db.rawQuery(insert(id, 1))
    assert.equal(await sqlStateOf(insert(id, 1)), '23505')
    assert.equal(await sqlStateOf(insert(id, 0)), '23514')
    assert.equal(await sqlStateOf(insert(id, 2, 'UserRegistered')), '23514')
  })
})
