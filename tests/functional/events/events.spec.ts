import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import features from '#config/features'
import { UserFactory } from '#factories/user_factory'
import eventRecorder from '#services/events/event_recorder'
import { truncateAll } from '#tests/helpers/database'
import { integrated } from '#tests/helpers/events'
import { integrateEvents } from '#services/events/integrator'
import { userToken } from '#tests/helpers/auth'
import type { User } from '#models'

async function note(user: User, n: number, trx?: any) {
  const write = (t: any) =>
    eventRecorder.append(t, {
      aggregateType: 'user',
      aggregateId: user.id,
      eventType: 'user.preferences_updated',
      payload: { n },
    })
  return trx ? write(trx) : db.transaction(write)
}

/* Committed rows (no global transaction): the ordering guarantee is about commits. */
test.group('Event store | GET /api/v1/events', (group) => {
  group.each.setup(() => truncateAll())
  group.each.teardown(() => {
    features.eventStore = true
  })
  group.teardown(() => truncateAll())

  test("the caller's events only, filtered, paged exactly once", async ({ assert, client }) => {
    const [alice, bob] = await UserFactory.createMany(2)
    for (let n = 1; n <= 5; n++) await note(alice, n)
    await note(bob, 99)
    await db.transaction((trx) =>
      eventRecorder.append(trx, {
        aggregateType: 'alert',
        aggregateId: '0192f7a0-0000-7000-8000-0000000000aa',
        eventType: 'alert.acknowledged',
        payload: { userId: alice.id },
      })
    )
    const token = await userToken(alice)
    await integrated()
    const seen: number[] = []
    let cursor: string | undefined
    for (let page = 0; page < 5; page++) {
      const response = await client
        .get(
          `/api/v1/events?limit=2&type=user.preferences_updated${cursor ? `&after=${cursor}` : ''}`
        )
        .bearerToken(token)
      response.assertStatus(200)
      const body = response.body()
      seen.push(...body.data.map((e: { payload: { n: number } }) => e.payload.n))
      assert.isTrue(body.data.every((e: { aggregateId: string }) => e.aggregateId === alice.id))
      cursor = body.meta.nextCursor
      if (body.data.length < 2) break
    }
    assert.deepEqual(seen, [1, 2, 3, 4, 5])

    const alerts = await client.get('/api/v1/events?aggregateType=alert').bearerToken(token)
    assert.deepEqual(
      alerts.body().data.map((e: any) => [e.type, e.version, e.metadata.actor]),
      [['alert.acknowledged', 1, null]]
    )
    assert.match(alerts.body().data[0].hash, /^[0-9a-f]{64}$/)

    const bad = await client.get('/api/v1/events?after=nonsense').bearerToken(token)
    bad.assertStatus(422)
    assert.equal(bad.body().errors[0].field, 'after')
  })

  test('an event whose transaction commits late is not skipped by a reader that went past it', async ({
    assert,
    client,
  }) => {
    const user = await UserFactory.create()
    const token = await userToken(user)
    await note(user, 1)

    // "slow" takes its position first but commits after "fast" (another aggregate of
    // the same user: the same one would wait on slow's version).
    const slow = await db.transaction()
    await note(user, 2, slow)
    await db.transaction((trx) =>
      eventRecorder.append(trx, {
        aggregateType: 'alert',
        aggregateId: '0192f7a0-0000-7000-8000-0000000000bb',
        eventType: 'alert.acknowledged',
        payload: { userId: user.id, n: 3 },
      })
    )

    const read = async (after?: string) => {
      const response = await client
        .get(`/api/v1/events${after ? `?after=${after}` : ''}`)
        .bearerToken(token)
      return response.body() as {
        data: { position: string; payload: { n: number } }[]
        meta: { nextCursor: string }
      }
    }
    // One integration pass while "slow" runs: it seals nothing at or after slow's transaction.
    let first
    try {
      await integrateEvents()
      first = await read()
    } finally {
      if (!slow.isCompleted) await slow.commit()
    }
    // While "slow" ran, nothing after it was shown: showing 3 then would pass 2's position.
    assert.deepEqual(
      first.data.map((e) => e.payload.n),
      [1]
    )

    await integrated()
    const second = await read(first.meta.nextCursor)
    assert.deepEqual(
      second.data.map((e) => e.payload.n),
      [2, 3]
    )
    assert.isBelow(Number(second.data[0].position), Number(second.data[1].position))
    const third = await read(second.meta.nextCursor)
    assert.deepEqual(third.data, [])
  })

  test('the gate: 404 E_FEATURE_DISABLED when the event store is off', async ({
    assert,
    client,
  }) => {
    const token = await userToken(await UserFactory.create())
    features.eventStore = false
    const response = await client.get('/api/v1/events').bearerToken(token)
    response.assertStatus(404)
    assert.equal(response.body().errors[0].code, 'E_FEATURE_DISABLED')
  })
})
