import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { v7 as uuidv7 } from 'uuid'
import eventRecorder from '#services/events/event_recorder'
import { DomainError } from '#domain/shared/errors'
import { requestContext } from '#infrastructure/context/request_context'
import { truncateAll } from '#tests/helpers/database'
import { verifyStore } from '#services/events/verify_chain'
import { integrated } from '#tests/helpers/events'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'

/** The transaction, collecting the SQL of each raw query run on it: which append statement ran. */
function collectingSql(trx: TransactionClientContract, sql: string[]): TransactionClientContract {
  return new Proxy(trx, {
    get(target, key) {
      if (key === 'rawQuery') {
        return (text: string, bindings?: any) => {
          sql.push(text)
          return target.rawQuery(text, bindings)
        }
      }
      const value = Reflect.get(target, key, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/* Committed rows: journal-fed streams are written by the integrator, after commit. */
test.group('Event recorder | versions', (group) => {
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test('versions increase per aggregate, independently of other aggregates', async ({ assert }) => {
    const a = uuidv7()
    const b = uuidv7()
    await db.transaction(async (trx) => {
      await eventRecorder.append(trx, {
        aggregateType: 'user',
        aggregateId: a,
        eventType: 'user.registered',
        payload: {},
      })
      await eventRecorder.append(trx, {
        aggregateType: 'user',
        aggregateId: b,
        eventType: 'user.registered',
        payload: {},
      })
      await eventRecorder.append(trx, {
        aggregateType: 'user',
        aggregateId: a,
        eventType: 'user.preferences_updated',
        payload: { changes: [] },
      })
    })
    const { rows } = await db.rawQuery(
      `select aggregate_id, version, event_type from event_store order by position`
    )
    assert.deepEqual(
      rows.map((r: any) => [r.aggregate_id === a ? 'a' : 'b', r.version, r.event_type]),
      [
        ['a', 1, 'user.registered'],
        ['b', 1, 'user.registered'],
        ['a', 2, 'user.preferences_updated'],
      ]
    )
  })

  test('appendMany numbers several events of one aggregate in order, in one statement', async ({
    assert,
  }) => {
    const a = uuidv7()
    const recorded = await db.transaction((trx) =>
      eventRecorder.appendMany(trx, [
        {
          aggregateType: 'position',
          aggregateId: a,
          eventType: 'position.snapshot_recorded',
          payload: { n: 1 },
        },
        {
          aggregateType: 'position',
          aggregateId: a,
          eventType: 'position.snapshot_recorded',
          payload: { n: 2 },
        },
        { aggregateType: 'user', aggregateId: a, eventType: 'user.registered', payload: {} },
      ])
    )
    // position streams are journal-fed: numbered by the integrator, not returned
    assert.deepEqual(
      recorded.map((e) => [e.aggregateType, e.version]),
      [['user', 1]]
    )
    await integrated()
    const { rows } = await db.rawQuery(
      `select payload->>'n' as n from event_store where aggregate_type = 'position' order by version`
    )
    assert.deepEqual(
      rows.map((r: any) => r.n),
      ['1', '2']
    )
  })

  test('appendUniform: payloads as given (escaping, null, numbers, booleans), versions per aggregate, chain intact', async ({
    assert,
  }) => {
    const a = uuidv7()
    const b = uuidv7()
    // strings that an array literal must escape, a string that reads "NULL", a real null
    const awkward = ['{x,"y"}\\ \u00e9 NULL', 'NULL']
    const rows = [
      { id: a, text: awkward[0], n: 1, hf: '1.50', flag: true },
      { id: b, text: awkward[1], n: 137, hf: null, flag: false },
      { id: a, text: 'second of a', n: 0.25, hf: '0', flag: true },
    ]
    await db.transaction(async (trx) => {
      await eventRecorder.append(trx, {
        aggregateType: 'position',
        aggregateId: a,
        eventType: 'position.snapshot_recorded',
        payload: { first: true },
      })
      await eventRecorder.appendUniform(trx, {
        aggregateType: 'position',
        eventType: 'position.snapshot_recorded',
        rows,
        aggregateId: (r) => r.id,
        payload: {
          text: (r) => r.text,
          n: (r) => r.n,
          healthFactor: (r) => r.hf,
          flag: (r) => r.flag,
        },
        metadata: { causationId: 'evt-9' },
      })
    })
    await integrated()
    const { rows: stored } = await db.rawQuery(
      `select aggregate_id, version, payload, metadata from event_store order by position`
    )
    assert.deepEqual(
      stored.map((r: any) => [r.aggregate_id === a ? 'a' : 'b', r.version, r.payload]),
      [
        ['a', 1, { first: true }],
        ['a', 2, { text: awkward[0], n: 1, healthFactor: '1.50', flag: true }],
        ['b', 1, { text: 'NULL', n: 137, healthFactor: null, flag: false }],
        ['a', 3, { text: 'second of a', n: 0.25, healthFactor: '0', flag: true }],
      ]
    )
    assert.equal(stored[1].metadata.causationId, 'evt-9')
    const report = await verifyStore()
    assert.isNull(report.problem)
    assert.equal(report.events, 4)
  })

  test('appendUniform with one event per aggregate (the usual batch) continues each chain', async ({
    assert,
  }) => {
    const [a, b, c] = [uuidv7(), uuidv7(), uuidv7()]
    await db.transaction(async (trx) => {
      for (const [id, times] of [
        [a, 2],
        [c, 1],
      ] as const) {
        for (let n = 0; n < times; n++) {
          await eventRecorder.append(trx, {
            aggregateType: 'position',
            aggregateId: id,
            eventType: 'position.snapshot_recorded',
            payload: { before: n },
          })
        }
      }
    })
    const sql: string[] = []
    await db.transaction((trx) =>
      eventRecorder.appendUniform(collectingSql(trx, sql), {
        aggregateType: 'position',
        eventType: 'position.snapshot_recorded',
        rows: [c, b, a],
        aggregateId: (id) => id,
        payload: { of: (id) => (id === a ? 'a' : id === b ? 'b' : 'c') },
      })
    )
    await integrated()
    const { rows } = await db.rawQuery(
      `select payload->>'of' as of, version from event_store where payload->>'of' is not null order by position`
    )
    assert.deepEqual(
      rows.map((r: any) => [r.of, r.version]),
      [
        ['c', 2],
        ['b', 1],
        ['a', 3],
      ]
    )
    // one journal row in the business transaction, the column arrays as they are
    assert.lengthOf(sql, 1)
    assert.match(sql[0], /insert into event_journal/)
    const report = await verifyStore()
    assert.isNull(report.problem)
    assert.equal(report.events, 6)
  })

  test('one aggregate spelled two ways (case, braces) in one append is still one chain', async ({
    assert,
  }) => {
    const a = uuidv7()
    const spellings = [a, `{${a.toUpperCase()}}`]
    const sql: string[] = []
    await db.transaction(async (plain) => {
      const trx = collectingSql(plain, sql)
      await eventRecorder.appendUniform(trx, {
        aggregateType: 'position',
        eventType: 'position.snapshot_recorded',
        rows: spellings,
        aggregateId: (id) => id,
        payload: { n: (id) => spellings.indexOf(id) },
      })
      await eventRecorder.appendMany(
        trx,
        spellings.map((id, n) => ({
          aggregateType: 'user' as const,
          aggregateId: id,
          eventType: 'user.preferences_updated' as const,
          payload: { n },
        }))
      )
    })
    await integrated()
    const { rows } = await db.rawQuery(
      `select aggregate_type, version, (payload->>'n')::int as n from event_store where aggregate_id = ? order by position`,
      [a]
    )
    // the direct events took their positions in the transaction, the journaled ones after it
    assert.deepEqual(
      rows.map((r: any) => [r.aggregate_type, r.version, r.n]),
      [
        ['user', 1, 0],
        ['user', 2, 1],
        ['position', 1, 0],
        ['position', 2, 1],
      ]
    )
    assert.lengthOf(sql, 2)
    assert.match(sql[0], /insert into event_journal/)
    // the direct append ranks repeated aggregates rather than probing each event
    assert.match(sql[1], /row_number\(\) over \(partition by aggregate_type, aggregate_id/)
    assert.isNull((await verifyStore()).problem)
  })

  test('appendUniform refuses a payload key whose values mix kinds, and writes nothing', async ({
    assert,
  }) => {
    const error = await db
      .transaction((trx) =>
        eventRecorder.appendUniform(trx, {
          aggregateType: 'position',
          eventType: 'position.snapshot_recorded',
          rows: [1, '2'],
          aggregateId: () => uuidv7(),
          payload: { n: (value) => value },
        })
      )
      .catch((e: Error) => e.message)
    assert.equal(error, 'appendUniform: payload.n mixes number, string')
    const { rows } = await db.rawQuery(`select count(*)::int as n from event_store`)
    assert.equal(rows[0].n, 0)
  })

  test('an expected version other than the stored one is a conflict: no duplicate, no gap', async ({
    assert,
  }) => {
    const a = uuidv7()
    const b = uuidv7()
    await db.transaction((trx) =>
      eventRecorder.append(trx, {
        aggregateType: 'user',
        aggregateId: a,
        eventType: 'user.registered',
        payload: {},
      })
    )
    for (const events of [
      // taken already
      [{ aggregateId: a, expectedVersion: 0 }],
      // ahead: alone (one event per aggregate), and beside a second event of the same aggregate
      [{ aggregateId: a, expectedVersion: 4 }],
      [
        { aggregateId: a, expectedVersion: 4 },
        { aggregateId: a, expectedVersion: undefined },
        { aggregateId: b, expectedVersion: undefined },
      ],
    ]) {
      const error = await db
        .transaction((trx) =>
          eventRecorder.appendMany(
            trx,
            events.map((e) => ({
              aggregateType: 'user' as const,
              eventType: 'user.preferences_updated' as const,
              payload: {},
              ...e,
            }))
          )
        )
        .catch((e) => e)
      assert.instanceOf(error, DomainError)
      assert.equal(error.code, 'E_VERSION_CONFLICT')
    }
    const { rows } = await db.rawQuery(
      `select aggregate_id, version from event_store where aggregate_id in (?, ?)`,
      [a, b]
    )
    assert.deepEqual(
      rows.map((r: any) => [r.aggregate_id === a ? 'a' : 'b', r.version]),
      [['a', 1]]
    )
    await integrated()
    assert.isNull((await verifyStore()).problem)
  })

  test('metadata carries the actor and request id of the current context', async ({ assert }) => {
    const a = uuidv7()
    await requestContext.run({ requestId: 'req-123', actor: { type: 'user', id: a } }, () =>
      db.transaction((trx) =>
        eventRecorder.append(trx, {
          aggregateType: 'user',
          aggregateId: a,
          eventType: 'user.registered',
          payload: {},
          metadata: { causationId: 'evt-1' },
        })
      )
    )
    const { rows } = await db.rawQuery(`select metadata from event_store where aggregate_id = ?`, [
      a,
    ])
    assert.deepEqual(rows[0].metadata, {
      actor: { type: 'user', id: a },
      requestId: 'req-123',
      causationId: 'evt-1',
    })
  })

  test('a rolled back transaction leaves no event behind', async ({ assert }) => {
    const a = uuidv7()
    await db
      .transaction(async (trx) => {
        await eventRecorder.append(trx, {
          aggregateType: 'user',
          aggregateId: a,
          eventType: 'user.registered',
          payload: {},
        })
        throw new Error('the change failed')
      })
      .catch(() => {})
    const { rows } = await db.rawQuery(
      `select count(*)::int as n from event_store where aggregate_id = ?`,
      [a]
    )
    assert.equal(rows[0].n, 0)
  })
})

test.group('Event recorder | concurrency (committed rows)', (group) => {
  group.each.teardown(() => truncateAll())

  async function waitUntilBlockedOnLock() {
    for (let i = 0; i < 200; i++) {
      const { rows } = await db.rawQuery(
        // Any lock wait in this database is the racing append (its text is longer than
        // track_activity_query_size, so the INSERT part is not visible to match on).
        `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`
      )
      if (rows[0].n > 0) return
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    throw new Error('the second append never blocked')
  }

  async function race(expectedVersion?: number) {
    const a = uuidv7()
    await db.transaction((trx) =>
      eventRecorder.append(trx, {
        aggregateType: 'user',
        aggregateId: a,
        eventType: 'user.registered',
        payload: {},
      })
    )
    const event = {
      aggregateType: 'user' as const,
      aggregateId: a,
      eventType: 'user.preferences_updated' as const,
      expectedVersion,
    }
    const first = await db.transaction()
    const second = await db.transaction()
    await eventRecorder.append(first, { ...event, payload: { by: 'first' } })
    // The second append computes the same next version and blocks on the unique index...
    const racing = eventRecorder.append(second, { ...event, payload: { by: 'second' } }).then(
      () => 'ok',
      (e) => e
    )
    await waitUntilBlockedOnLock()
    // ...until the first commits; then it must fail rather than write a duplicate.
    await first.commit()
    const outcome = await racing
    await second.rollback()
    const { rows } = await db.rawQuery(
      `select version, payload->>'by' as by from event_store where aggregate_id = ? order by version`,
      [a]
    )
    return { outcome, rows }
  }

  test('two transactions appending the next version at once: one wins, the other gets a conflict', async ({
    assert,
  }) => {
    const { outcome, rows } = await race()
    assert.instanceOf(outcome, DomainError)
    assert.equal((outcome as DomainError).code, 'E_VERSION_CONFLICT')
    assert.deepEqual(rows, [
      { version: 1, by: null },
      { version: 2, by: 'first' },
    ])
  })

  test('the same with an explicit expected version', async ({ assert }) => {
    const { outcome, rows } = await race(1)
    assert.equal((outcome as DomainError).code, 'E_VERSION_CONFLICT')
    assert.lengthOf(rows, 2)
  })
})
