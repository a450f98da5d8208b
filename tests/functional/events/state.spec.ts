import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import features from '#config/features'
import { truncateAll } from '#tests/helpers/database'
import { serviceToken, signIn } from '#tests/helpers/auth'
import { snapshotBody } from '#tests/helpers/snapshots'
import { createLinkCode, linkChat } from '#services/telegram/linking'
import { integrated } from '#tests/helpers/events'

const pause = () => new Promise((resolve) => setTimeout(resolve, 20))

/* Committed rows: every event gets its own commit time, as in production. */
test.group('Event store | GET /api/v1/me/state?at=', (group) => {
  group.each.setup(() => truncateAll())
  group.teardown(() => truncateAll())
  group.each.teardown(() => {
    features.eventStore = true
  })

  test('rebuilt from events, it equals the live state now; between two changes it is the state then', async ({
    assert,
    client,
  }) => {
    const { token, user } = await signIn(client)
    const patch = (body: object) => client.patch('/api/v1/me').bearerToken(token).json(body)

    ;(
      await patch({
        preferences: {
          riskProfile: 'aggressive',
          watchAssets: ['USDC'],
          notificationChannels: ['telegram', 'in_app'],
        },
      })
    ).assertStatus(200)
    await pause()
    const between = DateTime.utc()
    await pause()
    ;(
      await patch({
        email: 'ada@example.com',
        preferences: { riskProfile: 'conservative', quietHours: { start: '22:00', end: '07:00' } },
      })
    ).assertStatus(200)

    const { code } = await createLinkCode(user.id)
    assert.isTrue((await linkChat('424242', code, 'start')).linked)

    for (const body of [
      snapshotBody({ snapshotAt: '2026-11-01T10:00:00Z' }),
      snapshotBody({ snapshotAt: '2026-11-01T11:00:00Z' }),
      snapshotBody({ protocol: 'compound_v3', snapshotAt: '2026-11-01T09:00:00Z' }),
    ]) {
      ;(await client.post('/api/v1/positions').bearerToken(token).json(body)).assertStatus(201)
    }
    const signal = await client
      .post('/api/v1/signals')
      .bearerToken(await serviceToken(['signals:write']))
      .json({
        type: 'depeg',
        asset: 'USDC',
        severity: 'critical',
        detectedAt: new Date(Date.now() - 1000).toISOString(),
      })
    signal.assertStatus(201)
    const alerts = (await client.get('/api/v1/alerts').bearerToken(token)).body().data
    const inApp = alerts.find((a: { channel: string }) => a.channel === 'in_app')
    ;(await client.post(`/api/v1/alerts/${inApp.id}/acknowledge`).bearerToken(token)).assertStatus(
      200
    )

    const intentBody = {
      protocol: 'aave_v3',
      chainId: 1,
      condition: { metric: 'health_factor', operator: 'lt', value: '1.2' },
      action: { type: 'repay', asset: 'USDC', amount: '100' },
    }
    const kept = (await client.post('/api/v1/intents').bearerToken(token).json(intentBody)).body()
      .data
    const dropped = (
      await client.post('/api/v1/intents').bearerToken(token).json(intentBody)
    ).body().data
    ;(await client.delete(`/api/v1/intents/${dropped.id}`).bearerToken(token)).assertStatus(200)
    ;(
      await client.patch(`/api/v1/intents/${kept.id}`).bearerToken(token).json({ name: 'Renamed' })
    ).assertStatus(200)

    // Now: the rebuilt state equals what the live endpoints say.
    await integrated()
    const state = (await client.get('/api/v1/me/state').bearerToken(token)).body().data
    const me = (await client.get('/api/v1/me').bearerToken(token)).body().data
    assert.deepEqual(state.preferences, me.preferences)
    assert.equal(state.email, me.email)
    assert.equal(state.telegramLinked, me.telegramLinked)
    assert.isTrue(state.telegramLinked)
    // the live list adds a forecast (`risk`, from price history): not state, not in events
    const live = (await client.get('/api/v1/positions').bearerToken(token))
      .body()
      .data.map(({ risk: _, ...position }: Record<string, unknown>) => position)
    assert.deepEqual(state.positions, live)
    assert.lengthOf(state.positions, 2)
    const liveAlerts = (await client.get('/api/v1/alerts').bearerToken(token)).body().data
    assert.deepEqual(
      state.openAlerts.map((a: { id: string; status: string }) => [a.id, a.status]),
      liveAlerts
        .filter((a: { status: string }) => a.status !== 'acknowledged')
        .map((a: { id: string; status: string }) => [a.id, a.status])
        .sort((a: string[], b: string[]) => a[0].localeCompare(b[0]))
    )
    assert.lengthOf(state.openAlerts, 1, 'the telegram copy; the in-app one was acknowledged')
    const liveIntents = (
      await client.get('/api/v1/intents?status=active').bearerToken(token)
    ).body().data
    assert.deepEqual(
      state.activeIntents.map((i: { id: string; name: string }) => [i.id, i.name]),
      liveIntents.map((i: { id: string; name: string }) => [i.id, i.name])
    )
    assert.deepEqual(
      state.activeIntents.map((i: { name: string }) => i.name),
      ['Renamed']
    )

    // Between the two preference changes: only the first had happened.
    await integrated()
    const then = (
      await client
        .get(`/api/v1/me/state?at=${encodeURIComponent(between.toISO()!)}`)
        .bearerToken(token)
    ).body().data
    assert.equal(then.preferences.riskProfile, 'aggressive')
    assert.equal(then.preferences.alertThresholds.healthFactor, 1.2)
    assert.deepEqual(then.preferences.watchAssets, ['USDC'])
    assert.isUndefined(then.preferences.quietHours)
    assert.isNull(then.email)
    assert.isFalse(then.telegramLinked)
    assert.deepEqual(then.positions, [])
    assert.deepEqual(then.openAlerts, [])
    assert.deepEqual(then.activeIntents, [])
  })

  test('a bad instant is a 422; the gate makes it a 404', async ({ assert, client }) => {
    const { token } = await signIn(client)
    await integrated()
    const bad = await client.get('/api/v1/me/state?at=yesterday').bearerToken(token)
    bad.assertStatus(422)
    assert.equal(bad.body().errors[0].field, 'at')
    features.eventStore = false
    await integrated()
    const off = await client.get('/api/v1/me/state').bearerToken(token)
    off.assertStatus(404)
    assert.equal(off.body().errors[0].code, 'E_FEATURE_DISABLED')
  })
})
