import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import app from '@adonisjs/core/services/app'
import testUtils from '@adonisjs/core/services/test_utils'
import { UserFactory } from '#factories/user_factory'
import { serviceToken, signIn, userToken } from '#tests/helpers/auth'
import TokensCreate from '#commands/tokens_create'
import { ApiClient, User } from '#models'
import limiter from '@adonisjs/limiter/services/main'

test.group('Auth | user tokens expire and can be revoked', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('no token, a garbage token, a token of unknown id: 401 in the error shape', async ({
    client,
    assert,
  }) => {
    for (const token of [
      undefined,
      'nope',
      'usr_MTIzNDU2.abcdefabcdefabcdefabcdefabcdefabcdef12',
      // well-formed tokens whose id is no bigint (the column's type)
      `usr_${Buffer.from('abc').toString('base64url')}.abcdefabcdefabcdefabcdefabcdefabcdef12`,
      `usr_${Buffer.from('1.5').toString('base64url')}.abcdefabcdefabcdefabcdefabcdefabcdef12`,
      `usr_${Buffer.from('9'.repeat(20)).toString('base64url')}.abcdefabcdefabcdefabcdefabcdefab`,
    ]) {
      const request = client.get('/api/v1/me')
      if (token) request.bearerToken(token)
      const response = await request
      response.assertStatus(401)
      assert.equal(response.body().errors[0].code, 'E_UNAUTHORIZED_ACCESS')
    }
  })

  test('an expired token is refused', async ({ client, assert }) => {
    const { token, user } = await signIn(client)
    ;(await client.get('/api/v1/me').bearerToken(token)).assertStatus(200)
    await db
      .from('auth_access_tokens')
      .where('tokenable_id', user.id)
      .update({ expires_at: new Date(Date.now() - 1000) })
    const response = await client.get('/api/v1/me').bearerToken(token)
    response.assertStatus(401)
    assert.equal(response.body().errors[0].code, 'E_UNAUTHORIZED_ACCESS')
  })

  test('logout revokes the token it was called with, and only that one', async ({
    client,
    assert,
  }) => {
    const { token, user } = await signIn(client)
    const other = await userToken(user)
    const logout = await client.post('/api/v1/auth/logout').bearerToken(token)
    logout.assertStatus(204)
    ;(await client.get('/api/v1/me').bearerToken(token)).assertStatus(401)
    ;(await client.get('/api/v1/me').bearerToken(other)).assertStatus(200)
    const { rows } = await db.rawQuery(
      `select count(*)::int as n from auth_access_tokens where tokenable_id = ?`,
      [user.id]
    )
    assert.equal(rows[0].n, 1)
  })
})

test.group('Auth | users and services are separate callers', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('a service token is refused on user-only routes', async ({ client, assert }) => {
    const token = await serviceToken(['positions:write', 'signals:write'])
    for (const path of ['/api/v1/me', '/api/v1/positions']) {
      const response = await client.get(path).bearerToken(token)
      response.assertStatus(401)
      assert.equal(response.body().errors[0].code, 'E_UNAUTHORIZED_ACCESS')
    }
  })

  test('a user token is refused on service-only routes', async ({ client, assert }) => {
    const token = await userToken(await UserFactory.create())
    const response = await client
      .post('/api/v1/positions/batch')
      .bearerToken(token)
      .json({ snapshots: [] })
    response.assertStatus(401)
    assert.equal(response.body().errors[0].code, 'E_UNAUTHORIZED_ACCESS')
  })

  test('a service token without the ability is a 403', async ({ client, assert }) => {
    const token = await serviceToken(['signals:write'])
    const response = await client
      .post('/api/v1/positions/batch')
      .bearerToken(token)
      .json({ snapshots: [] })
    response.assertStatus(403)
    assert.deepEqual(response.body().errors[0], {
      code: 'E_MISSING_ABILITY',
      message: 'This token lacks the "positions:write" ability',
    })
  })
})

test.group('Auth | rate limits', (group) => {
  group.each.setup(async () => {
    // Earlier tests spent this IP's budget with the limit lifted, and counters
    // commit on a connection of their own (config/limiter.ts): start from zero,
    // before the test's transaction.
    await db.from('rate_limits').delete()
    return testUtils.db().withGlobalTransaction()
  })
  group.each.teardown(() => {
    env.set('RATE_LIMIT_AUTH_PER_MINUTE', 1_000_000)
    env.set('RATE_LIMIT_API_PER_MINUTE', 1_000_000)
  })

  test('auth routes are limited per IP: 429 with Retry-After in the error shape', async ({
    client,
    assert,
  }) => {
    env.set('RATE_LIMIT_AUTH_PER_MINUTE', 3)
    const statuses = []
    for (let i = 0; i < 5; i++) statuses.push((await client.get('/api/v1/auth/nonce')).status())
    assert.deepEqual(statuses, [200, 200, 200, 429, 429])
    const limited = await client.get('/api/v1/auth/nonce')
    limited.assertStatus(429)
    const retryAfter = Number(limited.header('retry-after'))
    assert.isAbove(retryAfter, 0)
    assert.isAtMost(retryAfter, 60)
    assert.equal(limited.body().errors[0].code, 'E_TOO_MANY_REQUESTS')
  })

  test('an IPv6 client is limited per /64: its other addresses share the budget', async ({
    client,
    assert,
  }) => {
    env.set('RATE_LIMIT_AUTH_PER_MINUTE', 3)
    // through a trusted proxy (loopback), as in production behind a load balancer
    const from = (ip: string) => client.get('/api/v1/auth/nonce').header('x-forwarded-for', ip)
    const statuses = []
    for (const ip of [
      '2001:db8:1:2::1',
      '2001:db8:1:2::2',
      '2001:db8:1:2::abcd:1',
      '2001:db8:1:2:ffff:ffff:ffff:ffff',
    ])
      statuses.push((await from(ip)).status())
    assert.deepEqual(statuses, [200, 200, 200, 429])
    // another /64, and an IPv4 client, have their own
    ;(await from('2001:db8:1:3::1')).assertStatus(200)
    ;(await from('203.0.113.7')).assertStatus(200)
  })

  test('authenticated routes are limited per token, not per user', async ({ client, assert }) => {
    env.set('RATE_LIMIT_API_PER_MINUTE', 2)
    const user = await UserFactory.create()
    const first = await userToken(user)
    const second = await userToken(user)
    const statuses = []
    for (let i = 0; i < 3; i++)
      statuses.push((await client.get('/api/v1/me').bearerToken(first)).status())
    assert.deepEqual(statuses, [200, 200, 429])
    ;(await client.get('/api/v1/me').bearerToken(second)).assertStatus(200)
  })

  // The two token tables count their ids separately: keyed by id alone, a user token
  // and the service token with the same id spent one budget.
  test('a user token and a service token with the same id have a budget each', async ({
    client,
    assert,
  }) => {
    env.set('RATE_LIMIT_API_PER_MINUTE', 2)
    const user = await UserFactory.create()
    const created = await User.accessTokens.create(user)
    const userValue = created.value!.release()
    await db.rawQuery(`select setval('api_client_tokens_id_seq', ?, false)`, [
      Number(created.identifier),
    ])
    const apiClient = await ApiClient.create({ name: 'same-id' })
    const service = await ApiClient.accessTokens.create(apiClient, ['signals:write'])
    assert.equal(String(service.identifier), String(created.identifier))

    for (let i = 0; i < 2; i++) {
      ;(await client.get('/api/v1/me').bearerToken(userValue)).assertStatus(200)
    }
    ;(await client.get('/api/v1/me').bearerToken(userValue)).assertStatus(429)
    const signals = await client.get('/api/v1/signals').bearerToken(service.value!.release())
    signals.assertStatus(200)
  })
})

test.group('Auth | tokens:create', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('creates the client and prints the token alone on the last line', async ({
    client,
    assert,
  }) => {
    const ace = await app.container.make('ace')
    ace.ui.switchMode('raw')
    const command = await ace.create(TokensCreate, [
      '--name=indexer-1',
      '--abilities=positions:write,signals:write',
      '--expires-in=90d',
    ])
    await command.exec()
    command.assertSucceeded()
    const logs = command.logger.getLogs()
    const last = logs.at(-1)!.message
    assert.match(last, /^svc_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)

    const apiClient = await ApiClient.findByOrFail('name', 'indexer-1')
    const [token] = await ApiClient.accessTokens.all(apiClient)
    assert.sameMembers(token.abilities, ['positions:write', 'signals:write'])
    const days = (token.expiresAt!.getTime() - Date.now()) / 86_400_000
    assert.approximately(days, 90, 0.01)

    // and the printed token works against a service route
    const response = await client
      .post('/api/v1/positions/batch')
      .bearerToken(last)
      .json({ snapshots: [] })
    response.assertStatus(422)
  })

  test('refuses unknown abilities', async ({ assert }) => {
    const ace = await app.container.make('ace')
    ace.ui.switchMode('raw')
    const command = await ace.create(TokensCreate, ['--name=feed', '--abilities=admin:all'])
    await command.exec()
    assert.equal(command.exitCode, 1)
    assert.isNull(await ApiClient.findBy('name', 'feed'))
  })
})

test.group('Auth | rate-limit counters', (group) => {
  group.teardown(async () => {
    await db.from('rate_limits').where('key', 'like', '%limiter-store-probe').delete()
  })

  test('are never part of a transaction that was open when their store was built', async ({
    assert,
  }) => {
    await db.beginGlobalTransaction()
    try {
      // options no limiter has used yet: the manager builds a new store now
      await limiter
        .use('database', { requests: 7, duration: '17 seconds' })
        .consume('limiter-store-probe')
    } finally {
      await db.rollbackGlobalTransaction()
    }
    // The store used to run on that transaction's connection: rolled back with it,
    // and afterwards on whatever next held that connection.
    const rows = await db.from('rate_limits').where('key', 'like', '%limiter-store-probe')
    assert.lengthOf(rows, 1)
    assert.equal(rows[0].points, 1)
  })
})
