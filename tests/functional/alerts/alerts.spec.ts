import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { UserFactory } from '#factories/user_factory'
import { AlertFactory } from '#factories/alert_factory'
import { SignalFactory } from '#factories/signal_factory'
import { serviceToken, userToken } from '#tests/helpers/auth'
import { expireSignals } from '#services/signals/record_signal'
import { integrated } from '#tests/helpers/events'
import { truncateAll } from '#tests/helpers/database'

test.group('Alerts | GET /alerts', (group) => {
  // committed rows: events are sealed by the integrator after commit (docs/adr/0012)
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test('newest first, filtered, paginated — and never another user’s', async ({
    client,
    assert,
  }) => {
    const alice = await UserFactory.create()
    const bob = await UserFactory.create()
    for (let i = 0; i < 7; i++)
      await AlertFactory.merge({ userId: alice.id, message: `a${i}` }).create()
    await AlertFactory.apply('telegram').merge({ userId: alice.id, message: 'tg' }).create()
    await AlertFactory.merge({ userId: bob.id, message: 'bob' }).create()
    const token = await userToken(alice)

    const seen: string[] = []
    let cursor: string | null = null
    do {
      const response = await client
        .get('/api/v1/alerts')
        .qs({ limit: 3, ...(cursor ? { cursor } : {}) })
        .bearerToken(token)
      response.assertStatus(200)
      seen.push(...response.body().data.map((a: any) => a.message))
      cursor = response.body().meta.nextCursor
    } while (cursor)
    assert.deepEqual(seen, ['tg', 'a6', 'a5', 'a4', 'a3', 'a2', 'a1', 'a0'])

    const pending = await client
      .get('/api/v1/alerts')
      .qs({ status: 'pending', channel: 'telegram' })
      .bearerToken(token)
    assert.deepEqual(
      pending.body().data.map((a: any) => a.message),
      ['tg']
    )
    const bad = await client.get('/api/v1/alerts').qs({ channel: 'sms' }).bearerToken(token)
    bad.assertStatus(422)
    assert.equal(bad.body().errors[0].field, 'channel')
  })
})

test.group('Alerts | POST /alerts/:id/acknowledge', (group) => {
  // committed rows: events are sealed by the integrator after commit (docs/adr/0012)
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test('idempotent: one event, the same answer twice', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const alert = await AlertFactory.merge({ userId: user.id }).create()
    const token = await userToken(user)
    const first = await client.post(`/api/v1/alerts/${alert.id}/acknowledge`).bearerToken(token)
    const second = await client.post(`/api/v1/alerts/${alert.id}/acknowledge`).bearerToken(token)
    first.assertStatus(200)
    second.assertStatus(200)
    assert.equal(first.body().data.status, 'acknowledged')
    assert.equal(second.body().data.acknowledgedAt, first.body().data.acknowledgedAt)
    await integrated()
    const events = await db
      .from('event_store')
      .where({ aggregate_id: alert.id, event_type: 'alert.acknowledged' })
    assert.lengthOf(events, 1)
  })

  test("another user's alert is a 404 and stays untouched", async ({ client, assert }) => {
    const owner = await UserFactory.create()
    const alert = await AlertFactory.merge({ userId: owner.id }).create()
    const response = await client
      .post(`/api/v1/alerts/${alert.id}/acknowledge`)
      .bearerToken(await userToken(await UserFactory.create()))
    response.assertStatus(404)
    assert.equal(response.body().errors[0].code, 'E_NOT_FOUND')
    assert.equal((await db.from('alerts').where('id', alert.id).firstOrFail()).status, 'sent')
  })
})

test.group('Signals | reads, acknowledgement, expiry', (group) => {
  // committed rows: events are sealed by the integrator after commit (docs/adr/0012)
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test('users and services list active signals newest first, with filters', async ({
    client,
    assert,
  }) => {
    await SignalFactory.merge({
      detectedAt: (await SignalFactory.make()).detectedAt.minus({ hours: 3 }),
    }).create()
    await SignalFactory.apply('whale').create()
    await SignalFactory.apply('expired').create()
    const asUser = await client
      .get('/api/v1/signals')
      .bearerToken(await userToken(await UserFactory.create()))
    asUser.assertStatus(200)
    assert.deepEqual(
      asUser.body().data.map((s: any) => s.type),
      ['whale_movement', 'depeg']
    )
    const filtered = await client
      .get('/api/v1/signals')
      .qs({ status: 'all', asset: 'usdc' })
      .bearerToken(await serviceToken(['positions:write']))
    assert.lengthOf(filtered.body().data, 2)
  })

  test('a service acknowledges a signal (idempotent); a user cannot', async ({
    client,
    assert,
  }) => {
    const signal = await SignalFactory.create()
    const token = await serviceToken(['signals:write'])
    ;(
      await client.post(`/api/v1/signals/${signal.id}/acknowledge`).bearerToken(token)
    ).assertStatus(200)
    const again = await client.post(`/api/v1/signals/${signal.id}/acknowledge`).bearerToken(token)
    assert.equal(again.body().data.status, 'acknowledged')
    await integrated()
    const events = await db
      .from('event_store')
      .where({ aggregate_id: signal.id, event_type: 'signal.acknowledged' })
    assert.lengthOf(events, 1)
    const user = await client
      .post(`/api/v1/signals/${signal.id}/acknowledge`)
      .bearerToken(await userToken(await UserFactory.create()))
    user.assertStatus(401)
  })

  test('signals past expiresAt become expired, with an event each; others stay', async ({
    assert,
  }) => {
    const make = await SignalFactory.make()
    const due = await SignalFactory.merge({
      detectedAt: make.detectedAt.minus({ hours: 3 }),
      expiresAt: make.detectedAt.minus({ seconds: 1 }),
    }).create()
    const live = await SignalFactory.merge({ asset: 'DAI' }).create()
    assert.equal(await expireSignals(), 1)
    assert.equal((await db.from('signals').where('id', due.id).firstOrFail()).status, 'expired')
    assert.equal((await db.from('signals').where('id', live.id).firstOrFail()).status, 'active')
    await integrated()
    assert.lengthOf(
      await db.from('event_store').where({ aggregate_id: due.id, event_type: 'signal.expired' }),
      1
    )
    assert.equal(await expireSignals(), 0)
  })
})
