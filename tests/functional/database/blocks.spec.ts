import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import app from '@adonisjs/core/services/app'
import { createHash } from 'node:crypto'
import { v7 as uuidv7 } from 'uuid'
import { DateTime } from 'luxon'
import { UserFactory } from '#factories/user_factory'
import eventRecorder from '#services/events/event_recorder'
import { integrateEvents, INTEGRATOR_LOCK } from '#services/events/integrator'
import { verifyStore } from '#services/events/verify_chain'
import { recordSignal } from '#services/signals/record_signal'
import eventsConfig from '#config/events'
import { truncateAll } from '#tests/helpers/database'
import { integrated } from '#tests/helpers/events'
import EventsVerify from '#commands/events_verify'

async function runVerify(args: string[] = []) {
  const ace = await app.container.make('ace')
  ace.ui.switchMode('raw')
  const command = await ace.create(EventsVerify, args)
  await command.exec()
  return { command, logs: command.logger.getLogs().map((l) => l.message) }
}

/** Changes the store the way an attacker with database access would: guards lifted. */
async function tamper(sql: string, bindings: unknown[] = []) {
  await db.transaction(async (trx) => {
    await trx.rawQuery('alter table event_store disable trigger event_store_no_update_delete')
    await trx.rawQuery(
      'alter table event_store_blocks disable trigger event_store_blocks_no_update_delete'
    )
    await trx.rawQuery('alter table event_journal disable trigger event_journal_no_update_delete')
    await trx.rawQuery(sql, bindings as any[])
    await trx.rawQuery('alter table event_store enable trigger event_store_no_update_delete')
    await trx.rawQuery(
      'alter table event_store_blocks enable trigger event_store_blocks_no_update_delete'
    )
    await trx.rawQuery('alter table event_journal enable trigger event_journal_no_update_delete')
  })
}

/** Recomputes every block from the rows as they are now: what a thorough forger does. */
const RESEAL = `
  with recursive fresh as (
    select b.block_no, b.from_tx, b.to_tx,
           (select count(*)::int from event_store e where e.tx >= b.from_tx and e.tx < b.to_tx) as events,
           (select string_agg(event_leaf(e.aggregate_type, e.aggregate_id, e.version,
                     e.event_type, e.payload, e.metadata, e.occurred_at, e.user_id), ''::bytea order by e.tx, e.position)
              from event_store e where e.tx >= b.from_tx and e.tx < b.to_tx) as leaves
    from event_store_blocks b
  ),
  chain as (
    select f.block_no, f.events, f.leaves, sha256(f.leaves) as root, null::text as prev_hash,
           event_block_hash(f.block_no, f.from_tx, f.to_tx, f.events, sha256(f.leaves), null) as hash
    from fresh f where f.block_no = 1
    union all
    select f.block_no, f.events, f.leaves, sha256(f.leaves), c.hash,
           event_block_hash(f.block_no, f.from_tx, f.to_tx, f.events, sha256(f.leaves), c.hash)
    from chain c join fresh f on f.block_no = c.block_no + 1
  )
  update event_store_blocks b set events = c.events, leaves = c.leaves, root = c.root,
         prev_hash = c.prev_hash, hash = c.hash
  from chain c where c.block_no = b.block_no`

const note = (aggregateId: string, payload: Record<string, unknown>) =>
  db.transaction((trx) =>
    eventRecorder.append(trx, {
      aggregateType: 'user',
      aggregateId,
      eventType: 'user.preferences_updated',
      payload,
    })
  )

const snapshots = (userId: string, streams: string[]) =>
  db.transaction((trx) =>
    eventRecorder.appendUniform(trx, {
      aggregateType: 'position',
      eventType: 'position.snapshot_recorded',
      rows: streams,
      aggregateId: (s) => s,
      payload: { userId: () => userId, healthFactor: () => '1.5', chainId: () => 1 },
    })
  )

/* Committed rows: the integrator seals what has committed. */
test.group('Event store | journal, integrator and blocks', (group) => {
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test('a bulk append is one journal row; integration writes its events with versions and seals a block', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    const [p1, p2] = [uuidv7(), uuidv7()]
    await note(user.id, { n: 1 })
    await snapshots(user.id, [p1, p2])
    await snapshots(user.id, [p1])

    // Before integration: the journal holds the snapshots, the store the direct event only.
    const { rows: journal } = await db.rawQuery(
      'select events, keys, aggregate_ids from event_journal order by id'
    )
    assert.deepEqual(
      journal.map((j: any) => j.events),
      [2, 1]
    )
    assert.deepEqual(journal[0].keys, ['userId', 'healthFactor', 'chainId'])
    assert.lengthOf(await db.from('event_store').where('aggregate_type', 'position'), 0)

    const pass = await integrateEvents()
    assert.isTrue(pass.ran)
    assert.equal(pass.integrated, 3)
    assert.equal(pass.block!.blockNo, '1')
    assert.equal(pass.block!.events, 4)

    const { rows: events } = await db.rawQuery('select * from event_store order by tx, position')
    assert.deepEqual(
      events.map((e: any) => [
        e.aggregate_id === p1 ? 'p1' : e.aggregate_id === p2 ? 'p2' : 'u',
        e.version,
      ]),
      [
        ['u', 1],
        ['p1', 1],
        ['p2', 1],
        ['p1', 2],
      ]
    )
    assert.deepEqual(events[1].payload, { userId: user.id, healthFactor: '1.5', chainId: 1 })
    assert.isTrue(events.every((e: any) => e.user_id === user.id))

    // The block's leaves, recomputed here from the documented definition.
    const block = await db.from('event_store_blocks').where('block_no', 1).first()
    const leaves: Buffer[] = []
    for (const e of events) {
      const { rows } = await db.rawQuery(
        `select payload::text as p, metadata::text as m,
                to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at
         from event_store where position = ?`,
        [e.position]
      )
      const text = [
        e.aggregate_type,
        e.aggregate_id,
        e.version,
        e.event_type,
        rows[0].p,
        rows[0].m,
        rows[0].at,
        e.user_id ?? '',
      ].join('\n')
      leaves.push(createHash('sha256').update(text, 'utf8').digest())
    }
    assert.equal(Buffer.from(block.leaves).toString('hex'), Buffer.concat(leaves).toString('hex'))
    assert.equal(
      Buffer.from(block.root).toString('hex'),
      createHash('sha256').update(Buffer.concat(leaves)).digest('hex')
    )
    assert.isNull(block.prev_hash)

    // Nothing new: no block. Something new: block 2 links to block 1.
    assert.isNull((await integrateEvents()).block)
    await note(user.id, { n: 2 })
    const next = await integrateEvents()
    assert.equal(next.block!.blockNo, '2')
    const second = await db.from('event_store_blocks').where('block_no', 2).first()
    assert.equal(second.prev_hash, block.hash)
    assert.isNull((await verifyStore()).problem)
  })

  test('fan-out journals its alert.created events in one row; each is version 1 once integrated', async ({
    assert,
  }) => {
    await UserFactory.merge({ preferences: { watchAssets: ['USDC'] } }).createMany(2)
    await recordSignal({
      type: 'depeg',
      asset: 'USDC',
      severity: 'high',
      detectedAt: DateTime.utc().minus({ minutes: 1 }),
    })
    const journal = await db.from('event_journal').where('aggregate_type', 'alert')
    assert.lengthOf(journal, 1)
    assert.equal(journal[0].events, 2)
    assert.isTrue(journal[0].fresh)
    await integrated()
    const alertEvents = await db.from('event_store').where('event_type', 'alert.created')
    assert.lengthOf(alertEvents, 2)
    assert.isTrue(alertEvents.every((e) => e.version === 1 && e.payload.channel === 'in_app'))
    assert.isNull((await verifyStore()).problem)
  })

  test('one pass at a time; a pass that fails leaves the journal for the next one', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    await snapshots(user.id, [uuidv7()])
    // Another process holds the lock: this pass does nothing.
    const holder = await db.transaction()
    await holder.rawQuery('select pg_advisory_xact_lock(?)', [INTEGRATOR_LOCK])
    assert.isFalse((await integrateEvents()).ran)
    await holder.rollback()
    // A pass that dies after expanding (the block refused): everything rolls back.
    await db.rawQuery(
      `alter table event_store_blocks add constraint no_blocks_now check (block_no < 0) not valid`
    )
    const failed = await integrateEvents().catch((error) => error)
    assert.instanceOf(failed, Error)
    await db.rawQuery('alter table event_store_blocks drop constraint no_blocks_now')
    assert.lengthOf(await db.from('event_store'), 0)
    assert.lengthOf(await db.from('event_store_blocks'), 0)
    assert.equal((await integrateEvents()).integrated, 1)
    assert.isNull((await verifyStore()).problem)
  })

  test('events:verify names a changed, inserted, removed and reordered event; a block re-sealed over them only an anchor catches', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    for (const n of [1, 2, 3]) await note(user.id, { n })
    await integrated()
    const ok = await runVerify()
    ok.command.assertSucceeded()
    const anchor = ok.logs.at(-1)!
    assert.match(anchor, /^\d+:[0-9a-f]{64}$/)
    ;(await runVerify([`--anchor=${anchor}`])).command.assertSucceeded()
    const [first, second, third] = await db
      .from('event_store')
      .where('aggregate_id', user.id)
      .orderBy('version')

    // 1. changed
    await tamper(`update event_store set payload = '{"n": 200}' where position = ?`, [
      second.position,
    ])
    let run = await runVerify()
    run.command.assertFailed()
    assert.include(
      run.logs.join('\n'),
      `event at position ${second.position} (user ${user.id} v2) does not match its sealed leaf: changed`
    )
    await tamper(`update event_store set payload = ?::jsonb where position = ?`, [
      JSON.stringify(second.payload),
      second.position,
    ])
    ;(await runVerify()).command.assertSucceeded()

    // 2. removed
    await tamper(`delete from event_store where position = ?`, [second.position])
    run = await runVerify()
    run.command.assertFailed()
    assert.match(run.logs.join('\n'), /the event sealed there is missing: removed/)
    await tamper(
      `insert into event_store (tx, position, aggregate_type, aggregate_id, version, event_type, payload, metadata, occurred_at, user_id, created_at)
       values (?::xid8, ?, 'user', ?, 2, ?, ?::jsonb, ?::jsonb, ?, ?, ?)`,
      [
        second.tx,
        second.position,
        user.id,
        second.event_type,
        JSON.stringify(second.payload),
        JSON.stringify(second.metadata),
        second.occurred_at,
        user.id,
        second.created_at,
      ]
    )
    ;(await runVerify()).command.assertSucceeded()

    // 3. inserted, with an old transaction id so it lands inside a sealed block
    await tamper(
      `insert into event_store (tx, aggregate_type, aggregate_id, version, event_type, payload, user_id)
       values (?::xid8, 'user', ?, 4, 'user.preferences_updated', '{"n": 4}', ?)`,
      [third.tx, user.id, user.id]
    )
    run = await runVerify()
    run.command.assertFailed()
    assert.match(run.logs.join('\n'), /was not sealed: inserted/)
    await tamper(`delete from event_store where version = 4 and aggregate_id = ?`, [user.id])

    // 4. reordered: versions 1 and 2 swap places in the order
    await tamper(`update event_store set position = -1 where position = ?`, [first.position])
    await tamper(`update event_store set position = ?, tx = ?::xid8 where position = ?`, [
      first.position,
      first.tx,
      second.position,
    ])
    await tamper(`update event_store set position = ?, tx = ?::xid8 where position = -1`, [
      second.position,
      second.tx,
    ])
    run = await runVerify()
    run.command.assertFailed()
    assert.match(run.logs.join('\n'), /reordered/)

    // 5. Re-sealed over the reorder: blocks and rows agree again — the anchor does not.
    await tamper(RESEAL)
    ;(await runVerify()).command.assertSucceeded()
    const check = await runVerify([`--anchor=${anchor}`])
    check.command.assertFailed()
    assert.include(check.logs.join('\n'), 'ANCHOR MISMATCH')
  })

  test('transactions running past the pass, the newest of all, are not sealed over', async ({
    assert,
  }) => {
    const [early, late] = await UserFactory.createMany(2)
    await note(early.id, { n: 1 })
    // Its xid is the newest: above the xmax of the integrator's snapshot.
    const open = await db.transaction()
    try {
      await snapshots(late.id, [uuidv7()])
      await eventRecorder.appendUniform(open, {
        aggregateType: 'position',
        eventType: 'position.snapshot_recorded',
        rows: [uuidv7()],
        aggregateId: (s) => s,
        payload: { userId: () => late.id },
      })
      // and a second one, newer still: its xid is above the snapshot's xmax
      const other = await db.transaction()
      await eventRecorder.append(other, {
        aggregateType: 'user',
        aggregateId: early.id,
        eventType: 'user.preferences_updated',
        payload: { n: 2 },
      })
      const pass = await integrateEvents()
      await other.commit()
      const { rows } = await db.rawQuery(
        `select (select to_tx from event_store_blocks order by block_no desc limit 1) <= pg_current_xact_id() as sane`
      )
      assert.isTrue(rows[0].sane, `bound ${pass.block?.toTx} is in the future`)
    } finally {
      await open.commit()
    }
    await integrated()
    assert.lengthOf(await db.from('event_store').where('aggregate_type', 'position'), 2)
    assert.lengthOf(await db.from('event_store').where('aggregate_id', early.id), 2)
    assert.isNull((await verifyStore()).problem)
  })

  test('a removed whole aggregate is caught without an anchor', async ({ assert }) => {
    await UserFactory.merge({ preferences: { watchAssets: ['USDC'] } }).createMany(2)
    await recordSignal({
      type: 'depeg',
      asset: 'USDC',
      severity: 'high',
      detectedAt: DateTime.utc().minus({ minutes: 1 }),
    })
    await integrated()
    ;(await runVerify()).command.assertSucceeded()
    // every event of one alert, gone: no version gap, no dangling link, nothing per aggregate to miss
    const victim = await db.from('event_store').where('aggregate_type', 'alert').first()
    await tamper(`delete from event_store where aggregate_id = ?`, [victim.aggregate_id])
    const run = await runVerify()
    run.command.assertFailed()
    assert.match(run.logs.join('\n'), /BROKEN \(event\).*removed/)
  })

  test('a block edited, unlinked or removed; a journal row that no longer matches its events', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    await snapshots(user.id, [uuidv7()])
    await integrated()
    await note(user.id, { n: 1 })
    await integrated()
    await note(user.id, { n: 2 })
    await integrated()
    ;(await runVerify()).command.assertSucceeded()

    await tamper(`update event_store_blocks set prev_hash = repeat('0', 64) where block_no = 2`)
    let run = await runVerify()
    run.command.assertFailed()
    assert.include(run.logs.join('\n'), "block 2 does not link to the previous block's hash")
    await tamper(RESEAL)
    ;(await runVerify()).command.assertSucceeded()

    await tamper(`delete from event_store_blocks where block_no = 2`)
    run = await runVerify()
    run.command.assertFailed()
    assert.include(run.logs.join('\n'), 'block 3 a block before it is missing')
    await truncateAll()

    // The journal row says otherwise than the (re-sealed) event it became.
    await snapshots(user.id, [uuidv7()])
    await integrated()
    await tamper(`update event_journal set vals = array[array['x'], array['2'], array['1']]`)
    run = await runVerify()
    run.command.assertFailed()
    assert.match(
      run.logs.join('\n'),
      /BROKEN \(journal\): event at position \d+ differs from journal row/
    )
  })

  test('versions with a gap are caught even when the blocks were re-sealed over it', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    for (const n of [1, 2, 3]) await note(user.id, { n })
    await integrated()
    await tamper(`delete from event_store where aggregate_id = ? and version = 2`, [user.id])
    await tamper(RESEAL)
    const run = await runVerify()
    run.command.assertFailed()
    assert.match(
      run.logs.join('\n'),
      /BROKEN \(version\).*v3\) does not follow the previous version/
    )
  })

  test('an anchor is printed at once, however long a transaction runs', async ({ assert }) => {
    const [early, late] = await UserFactory.createMany(2)
    await note(late.id, { n: 1 })
    await integrated()
    const open = await db.transaction()
    try {
      await open.rawQuery('select 1')
      await eventRecorder.append(open, {
        aggregateType: 'user',
        aggregateId: early.id,
        eventType: 'user.registered',
        payload: {},
      })
      const started = Date.now()
      const run = await runVerify()
      run.command.assertSucceeded()
      assert.isBelow(Date.now() - started, 2000)
      assert.match(run.logs.at(-1)!, /^1:[0-9a-f]{64}$/)
    } finally {
      await open.rollback()
    }
  })

  test('beyond the maximum merge delay the backlog fails events:verify and shows in /health/ready', async ({
    assert,
    client,
  }) => {
    const user = await UserFactory.create()
    await snapshots(user.id, [uuidv7()])
    const contract = eventsConfig.maxMergeDelaySeconds
    eventsConfig.maxMergeDelaySeconds = 0
    try {
      await new Promise((resolve) => setTimeout(resolve, 50))
      const run = await runVerify()
      run.command.assertFailed()
      assert.match(run.logs.join('\n'), /BROKEN \(backlog\).*maximum merge delay/)
      const ready = await client.get('/health/ready')
      ready.assertStatus(200)
      assert.isFalse(ready.body().checks.eventIntegrator.ok)
      assert.match(ready.body().checks.eventIntegrator.message, /integrator is behind/)
      await integrated()
      ;(await runVerify()).command.assertSucceeded()
      assert.isTrue((await client.get('/health/ready')).body().checks.eventIntegrator.ok)
    } finally {
      eventsConfig.maxMergeDelaySeconds = contract
    }
  })
})
