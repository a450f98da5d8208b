import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import app from '@adonisjs/core/services/app'
import testUtils from '@adonisjs/core/services/test_utils'
import { createHash } from 'node:crypto'
import { UserFactory } from '#factories/user_factory'
import eventRecorder from '#services/events/event_recorder'
import { anchorDigest, verifyChain } from '#services/events/verify_chain'
import { truncateAll } from '#tests/helpers/database'
import { recordSignal } from '#services/signals/record_signal'
import { DateTime } from 'luxon'
import EventsVerify from '#commands/events_verify'

async function runVerify(args: string[] = []) {
  const ace = await app.container.make('ace')
  ace.ui.switchMode('raw')
  const command = await ace.create(EventsVerify, args)
  await command.exec()
  return { command, logs: command.logger.getLogs().map((l) => l.message) }
}

/** Edits a stored event the way an attacker with database access would. */
async function tamper(sql: string, bindings: unknown[]) {
  await db.rawQuery('alter table event_store disable trigger event_store_no_update_delete')
  await db.rawQuery(sql, bindings as any[])
  await db.rawQuery('alter table event_store enable trigger event_store_no_update_delete')
}

test.group('Event store | hash chain', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('each event hashes its content over the previous version; the chain verifies', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    await db.transaction(async (trx) => {
      await eventRecorder.appendMany(trx, [
        {
          aggregateType: 'user',
          aggregateId: user.id,
          eventType: 'user.registered',
          payload: { a: 1 },
        },
        {
          aggregateType: 'user',
          aggregateId: user.id,
          eventType: 'user.preferences_updated',
          payload: { b: 2 },
        },
      ])
    })
    await db.transaction((trx) =>
      eventRecorder.append(trx, {
        aggregateType: 'user',
        aggregateId: user.id,
        eventType: 'user.preferences_updated',
        payload: { c: 3 },
      })
    )
    const events = await db.from('event_store').where('aggregate_id', user.id).orderBy('version')
    assert.deepEqual(
      events.map((e) => e.version),
      [1, 2, 3]
    )
    // Recomputed here, independently of the SQL: the documented definition.
    let prev = ''
    for (const e of events) {
      const { rows } = await db.rawQuery(
        `select payload::text as p, metadata::text as m, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at from event_store where id = ?`,
        [e.id]
      )
      assert.match(rows[0].at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
      const input = [
        prev,
        'user',
        user.id,
        String(e.version),
        e.event_type,
        rows[0].p,
        rows[0].m,
        rows[0].at,
      ].join('\n')
      const expected = createHash('sha256').update(input, 'utf8').digest('hex')
      assert.equal(e.hash, expected, `version ${e.version}`)
      prev = e.hash
    }
    const report = await verifyChain()
    assert.isNull(report.broken)
    assert.isAtLeast(report.events, 3)
  })

  test('fan-out events and raw inserts are chained too', async ({ assert }) => {
    await UserFactory.merge({ preferences: { watchAssets: ['USDC'] } }).createMany(2)
    await recordSignal({
      type: 'depeg',
      asset: 'USDC',
      severity: 'high',
      detectedAt: DateTime.utc().minus({ minutes: 1 }),
    })
    const id = (await db.rawQuery('select uuid_generate_v7() as id')).rows[0].id
    await db.rawQuery(
      `insert into event_store (aggregate_type, aggregate_id, version, event_type, payload) values ('user', ?, 1, 'user.registered', '{}')`,
      [id]
    )
    const alertEvents = await db.from('event_store').where('event_type', 'alert.created')
    assert.lengthOf(alertEvents, 2)
    assert.isTrue(alertEvents.every((e) => /^[0-9a-f]{64}$/.test(e.hash)))
    assert.isNull((await verifyChain()).broken)
  })

  test('events:verify finds an edited payload, a re-hashed edit and a removed event', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    for (const n of [1, 2, 3]) {
      await db.transaction((trx) =>
        eventRecorder.append(trx, {
          aggregateType: 'user',
          aggregateId: user.id,
          eventType: 'user.preferences_updated',
          payload: { n },
        })
      )
    }
    const ok = await runVerify()
    ok.command.assertSucceeded()
    const anchor = ok.logs.at(-1)!
    assert.match(anchor, /^\d+:[0-9a-f]{64}$/)
    ;(await runVerify([`--anchor=${anchor}`])).command.assertSucceeded()

    const [, second, third] = await db
      .from('event_store')
      .where('aggregate_id', user.id)
      .orderBy('version')

    // 1. The payload of version 2 changed, its hash left as it was.
    await tamper(`update event_store set payload = '{"n": 200}' where id = ?`, [second.id])
    let run = await runVerify()
    run.command.assertFailed()
    assert.include(
      run.logs.join('\n'),
      `BROKEN at position ${second.position} (user ${user.id} v2)`
    )

    // 2. The edit re-hashed as well: the next link no longer matches.
    await tamper(
      `update event_store set hash = event_hash(?, aggregate_type, aggregate_id, version, event_type, payload, metadata, occurred_at) where id = ?`,
      [
        (await db.from('event_store').where({ aggregate_id: user.id, version: 1 }).first()).hash,
        second.id,
      ]
    )
    run = await runVerify()
    run.command.assertFailed()
    assert.include(run.logs.join('\n'), `BROKEN at position ${third.position} (user ${user.id} v3)`)

    // 3. Back to the original, then version 2 removed.
    await tamper(`update event_store set payload = ?::jsonb, hash = ? where id = ?`, [
      JSON.stringify(second.payload),
      second.hash,
      second.id,
    ])
    ;(await runVerify()).command.assertSucceeded()
    await tamper(`delete from event_store where id = ?`, [second.id])
    run = await runVerify()
    run.command.assertFailed()
    assert.include(run.logs.join('\n'), 'an event is missing')

    // 4. The newest event removed cleanly leaves a valid chain — the anchor catches it.
    await tamper(`update event_store set version = 2 where id = ?`, [third.id])
    await tamper(
      `update event_store set hash = event_hash((select hash from event_store where aggregate_id = ? and version = 1), aggregate_type, aggregate_id, version, event_type, payload, metadata, occurred_at) where id = ?`,
      [user.id, third.id]
    )
    ;(await runVerify()).command.assertSucceeded()
    const check = await runVerify([`--anchor=${anchor}`])
    check.command.assertFailed()
    assert.include(check.logs.join('\n'), 'ANCHOR MISMATCH')
  })
})

test.group('Event store | anchors, committed', (group) => {
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  const append = (trx: any, aggregateId: string) =>
    eventRecorder.append(trx, {
      aggregateType: 'user',
      aggregateId,
      eventType: 'user.registered',
      payload: { via: 'test' },
    })

  test('an anchor is not taken below an event a running transaction will still commit', async ({
    assert,
  }) => {
    const [early, late] = await UserFactory.createMany(2)
    // A draws its position first and stays open; B draws the next one and commits
    const a = await db.transaction()
    await append(a, early.id)
    await db.transaction((b) => append(b, late.id))
    const committed = new Promise<void>((resolve) =>
      setTimeout(() => a.commit().then(resolve), 500)
    )

    const report = await verifyChain()
    await committed
    assert.isNull(report.broken)
    const [position, digest] = report.anchor!.split(':')
    // A's event, committed after the report was asked for, is below the anchor's position:
    // the anchor must already count it, or the next check cries tampering
    assert.equal(await anchorDigest(position), digest)
  }).timeout(10_000)

  test('a transaction that outlasts the wait: no anchor, and it says why', async ({ assert }) => {
    const [early, late] = await UserFactory.createMany(2)
    const a = await db.transaction()
    try {
      await append(a, early.id)
      await db.transaction((b) => append(b, late.id))
      const report = await verifyChain(db, { anchorWaitMs: 300 })
      assert.isNull(report.anchor)
      assert.match(report.anchorUnavailable!, /still add events below position \d+/)
    } finally {
      await a.rollback()
    }
  })
})
