import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { UserFactory } from '#factories/user_factory'
import { userToken } from '#tests/helpers/auth'
import { User } from '#models'

test.group('Users | GET /me', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('defaults are filled on read by risk profile, never stored', async ({ client, assert }) => {
    const user = await UserFactory.apply('conservative').create()
    const response = await client.get('/api/v1/me').bearerToken(await userToken(user))
    response.assertStatus(200)
    const { preferences } = response.body().data
    assert.equal(preferences.alertThresholds.healthFactor, 2)
    assert.deepEqual(preferences.notificationChannels, ['in_app'])
    assert.equal(preferences.timezone, 'UTC')
    const stored = await User.findOrFail(user.id)
    assert.deepEqual(stored.preferences, { riskProfile: 'conservative' })
  })

  test('each user sees their own profile only', async ({ client, assert }) => {
    const alice = await UserFactory.merge({ email: 'alice@example.com' }).create()
    const bob = await UserFactory.create()
    const response = await client.get('/api/v1/me').bearerToken(await userToken(bob))
    assert.equal(response.body().data.id, bob.id)
    assert.notInclude(JSON.stringify(response.body()), alice.id)
    assert.notInclude(JSON.stringify(response.body()), 'alice@example.com')
  })
})

test.group('Users | PATCH /me', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('deep-merges preferences, replaces arrays, null resets to the default', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.merge({
      preferences: {
        riskProfile: 'aggressive',
        alertThresholds: { healthFactor: 1.3 },
        notificationChannels: ['telegram', 'in_app'],
        watchAssets: ['ETH'],
      },
    }).create()
    const token = await userToken(user)
    const response = await client
      .patch('/api/v1/me')
      .bearerToken(token)
      .json({
        email: 'Me@Example.com',
        preferences: {
          alertThresholds: { healthFactor: 1.8 },
          notificationChannels: ['email'],
          watchAssets: null,
          quietHours: { start: '22:00', end: '07:00' },
          timezone: 'Europe/Paris',
        },
      })
    response.assertStatus(200)
    const body = response.body().data
    assert.equal(body.email, 'me@example.com')
    assert.equal(body.preferences.riskProfile, 'aggressive', 'untouched keys stay')
    assert.equal(body.preferences.alertThresholds.healthFactor, 1.8)
    assert.deepEqual(body.preferences.notificationChannels, ['email'], 'arrays replace')
    assert.notProperty(body.preferences, 'watchAssets')

    const stored = await User.findOrFail(user.id)
    assert.deepEqual(stored.preferences, {
      riskProfile: 'aggressive',
      alertThresholds: { healthFactor: 1.8 },
      notificationChannels: ['email'],
      quietHours: { start: '22:00', end: '07:00' },
      timezone: 'Europe/Paris',
    })

    const event = await db
      .from('event_store')
      .where({ aggregate_id: user.id, event_type: 'user.preferences_updated' })
      .firstOrFail()
    assert.deepEqual(event.payload.changes, [
      { path: 'email', before: null, after: 'me@example.com' },
      { path: 'preferences.alertThresholds.healthFactor', before: 1.3, after: 1.8 },
      {
        path: 'preferences.notificationChannels',
        before: ['telegram', 'in_app'],
        after: ['email'],
      },
      { path: 'preferences.quietHours', before: null, after: { start: '22:00', end: '07:00' } },
      { path: 'preferences.timezone', before: null, after: 'Europe/Paris' },
      { path: 'preferences.watchAssets', before: ['ETH'], after: null },
    ])
    assert.equal(event.metadata.actor.id, user.id)
    assert.isString(event.metadata.requestId)
  })

  test('an unchanged patch records no event', async ({ client, assert }) => {
    const user = await UserFactory.merge({ preferences: { digest: 'daily' } }).create()
    await client
      .patch('/api/v1/me')
      .bearerToken(await userToken(user))
      .json({ preferences: { digest: 'daily' } })
    const { rows } = await db.rawQuery(
      `select count(*)::int as n from event_store where aggregate_id = ?`,
      [user.id]
    )
    assert.equal(rows[0].n, 0)
  })

  test('every bad field is reported with its path, and nothing is written', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const response = await client
      .patch('/api/v1/me')
      .bearerToken(await userToken(user))
      .json({
        email: 'not-an-email',
        preferences: {
          riskProfile: 'yolo',
          alertThresholds: { healthFactor: 0.9 },
          activeSignals: ['Depeg!'],
          notificationChannels: ['sms', 'in_app'],
          watchAssets: ['ETH', 'E T H'],
          timezone: 'Mars/Olympus',
          quietHours: { start: '25:00', end: '7am' },
          digest: 'weekly',
          webhookUrl: 'ftp://example.com',
        },
      })
    response.assertStatus(422)
    const fields = response.body().errors.map((e: { field: string }) => e.field)
    assert.sameMembers(fields, [
      'email',
      'preferences.riskProfile',
      'preferences.alertThresholds.healthFactor',
      'preferences.activeSignals.0',
      'preferences.notificationChannels.0',
      'preferences.watchAssets.1',
      'preferences.timezone',
      'preferences.quietHours.start',
      'preferences.quietHours.end',
      'preferences.digest',
      'preferences.webhookUrl',
    ])
    const stored = await User.findOrFail(user.id)
    assert.deepEqual(stored.preferences, {})
    assert.isNull(stored.email)
  })

  test('emails with a quoted local part are a 422, not a 500', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const token = await userToken(user)
    for (const email of ['"a b"@example.com', '"a@b"@example.com']) {
      const response = await client.patch('/api/v1/me').bearerToken(token).json({ email })
      response.assertStatus(422)
      assert.equal(response.body().errors[0].field, 'email', email)
    }
    const ok = await client
      .patch('/api/v1/me')
      .bearerToken(token)
      .json({ email: 'Alice+alerts@Example.com' })
    ok.assertStatus(200)
    assert.equal(ok.body().data.email, 'alice+alerts@example.com')
  })

  test('a zone Node knows but PostgreSQL does not is a 422, and nothing is stored', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    // still in Node's tzdata, dropped from PostgreSQL's: quiet hours and digests are SQL
    const response = await client
      .patch('/api/v1/me')
      .bearerToken(await userToken(user))
      .json({ preferences: { timezone: 'US/Pacific-New', digest: 'daily' } })
    response.assertStatus(422)
    assert.deepEqual(response.body().errors, [
      {
        code: 'E_VALIDATION_ERROR',
        message: 'The timezone field must be an IANA time zone such as Europe/Paris',
        field: 'preferences.timezone',
      },
    ])
    assert.deepEqual((await User.findOrFail(user.id)).preferences, {})
  })

  test('the threshold must lie within 1.0 and 10', async ({ client, assert }) => {
    const token = await userToken(await UserFactory.create())
    for (const [value, status] of [
      [1, 200],
      [10, 200],
      [0.99, 422],
      [10.01, 422],
    ] as const) {
      const response = await client
        .patch('/api/v1/me')
        .bearerToken(token)
        .json({ preferences: { alertThresholds: { healthFactor: value } } })
      assert.equal(response.status(), status, String(value))
    }
  })

  test('a user cannot change another user: PATCH only ever touches the caller', async ({
    client,
    assert,
  }) => {
    const alice = await UserFactory.create()
    const bob = await UserFactory.create()
    const bobToken = await userToken(bob)
    // Naming another user is no way in: id and walletAddress are not fields of PATCH /me.
    const refused = await client
      .patch('/api/v1/me')
      .bearerToken(bobToken)
      .json({ id: alice.id, walletAddress: alice.walletAddress, preferences: { digest: 'daily' } })
    refused.assertStatus(422)
    assert.sameMembers(
      refused.body().errors.map((e: { field: string }) => e.field),
      ['id', 'walletAddress']
    )
    assert.deepEqual((await User.findOrFail(bob.id)).preferences, {})
    await client
      .patch('/api/v1/me')
      .bearerToken(bobToken)
      .json({ preferences: { digest: 'daily' } })
      .then((r) => r.assertStatus(200))
    const freshAlice = await User.findOrFail(alice.id)
    const freshBob = await User.findOrFail(bob.id)
    assert.deepEqual(freshAlice.preferences, {})
    assert.deepEqual(freshBob.preferences, { digest: 'daily' })
    assert.equal(freshBob.walletAddress, bob.walletAddress)
  })
})
