import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import { UserFactory } from '#factories/user_factory'
import { IntentFactory } from '#factories/intent_factory'
import { User } from '#models'
import { openApiDocument } from '#openapi/document'
import { serviceToken, userToken } from '#tests/helpers/auth'
import { rawRequest } from '#tests/helpers/http'
import { snapshotBody } from '#tests/helpers/snapshots'
import { assertConformsToDocument } from '#tests/helpers/openapi'

/*
 * Issue 23: the server enforces what the OpenAPI document says, case by case
 * (ADR 0008). Requests the Japa client cannot shape go through rawRequest and
 * are checked against the document by hand.
 */

type Json = Record<string, any>

async function raw(method: string, path: string, init: { headers?: Json; body?: string } = {}) {
  const response = await rawRequest(path, { method, headers: init.headers, body: init.body })
  const text = await response.text()
  const type = response.headers.get('content-type') ?? ''
  const body = type.startsWith('application/json') && text ? JSON.parse(text) : text
  assertConformsToDocument({
    method,
    url: path,
    status: response.status,
    contentType: type,
    headers: Object.fromEntries(response.headers),
    body,
  })
  return { status: response.status, body, headers: response.headers }
}

const fields = (body: Json) => (body.errors as Json[]).map((e) => e.field)

test.group('Contract | unknown fields are a 422 naming each', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('PATCH /me with a typo changes nothing and says which field', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const response = await client
      .patch('/api/v1/me')
      .bearerToken(await userToken(user))
      .json({ prefrences: { digest: 'daily' } })
    response.assertStatus(422)
    assert.deepEqual(fields(response.body()), ['prefrences'])
    assert.notProperty((await User.findOrFail(user.id)).preferences, 'digest')
  })

  test('nested preferences, each unknown field at its path', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const response = await client
      .patch('/api/v1/me')
      .bearerToken(await userToken(user))
      .json({
        preferences: { digets: 'daily', quietHours: { start: '22:00', end: '07:00', tz: 'x' } },
        emial: 'a@b.co',
      })
    response.assertStatus(422)
    assert.sameMembers(fields(response.body()), [
      'preferences.digets',
      'preferences.quietHours.tz',
      'emial',
    ])
  })

  test('intents, snooze, signals and every level of a batch', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const token = await userToken(user)
    const service = await serviceToken(['positions:write', 'signals:write'])
    const intent = {
      protocol: 'aave_v3',
      chainId: 1,
      condition: { metric: 'health_factor', operator: 'lt', value: '1.2', extra: 1 },
      action: { type: 'repay', asset: 'USDT', amount: '1000' },
      cooldown: 60,
    }
    const created = await client.post('/api/v1/intents').bearerToken(token).json(intent)
    created.assertStatus(422)
    assert.sameMembers(fields(created.body()), ['condition.extra', 'cooldown'])

    const stored = await IntentFactory.merge({ userId: user.id }).create()
    const patched = await client
      .patch(`/api/v1/intents/${stored.id}`)
      .bearerToken(token)
      .json({ paused: true })
    patched.assertStatus(422)
    assert.deepEqual(fields(patched.body()), ['paused'])

    const snooze = await client
      .post('/api/v1/positions/snooze')
      .bearerToken(token)
      .json({ protocol: 'aave_v3', until: '2030-01-01T00:00:00Z', minutes: 5 })
    snooze.assertStatus(422)
    assert.deepEqual(fields(snooze.body()), ['minutes'])

    const signal = await client
      .post('/api/v1/signals')
      .bearerToken(service)
      .json({
        type: 'depeg',
        asset: 'USDC',
        severity: 'high',
        detectedAt: '2026-11-01T12:00:00Z',
        expires: '2026-11-02T12:00:00Z',
        data: { anything: 'goes here' },
      })
    signal.assertStatus(422)
    assert.deepEqual(fields(signal.body()), ['expires'])

    const wallet = `0x${'a'.repeat(40)}`
    const snapshot = snapshotBody({ walletAddress: wallet, metadata: { free: 'form' } })
    const batch = await client
      .post('/api/v1/positions/batch')
      .bearerToken(service)
      .json({
        snapshots: [
          snapshot,
          { ...snapshot, chain: 1, collateral: [{ ...snapshot.collateral[0], ltv: '0.8' }] },
        ],
        dryRun: true,
      })
    batch.assertStatus(422)
    assert.sameMembers(fields(batch.body()), [
      'dryRun',
      'snapshots.1.chain',
      'snapshots.1.collateral.0.ltv',
    ])
  })

  test('query parameters never reach a body validator', async ({ client, assert }) => {
    const user = await UserFactory.merge({ email: 'before@example.com' }).create()
    const response = await client
      .patch('/api/v1/me')
      .qs({ email: 'after@example.com' })
      .bearerToken(await userToken(user))
      .json({})
    response.assertStatus(200)
    assert.equal((await User.findOrFail(user.id)).email, 'before@example.com')
  })
})

test.group('Contract | bodies are JSON objects, taken as sent', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('a top-level array where an object is described is a 422', async ({ assert }) => {
    const user = await UserFactory.create()
    const response = await raw('PATCH', '/api/v1/me', {
      headers: {
        'authorization': `Bearer ${await userToken(user)}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify([{ email: 'a@b.co' }]),
    })
    assert.equal(response.status, 422)
    assert.equal(response.body.errors[0].message, 'The request body must be a JSON object')
    assert.isNull((await User.findOrFail(user.id)).email)
  })

  test('strings are not trimmed and "" is not null', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const token = await userToken(user)
    const intent = {
      protocol: 'aave_v3',
      chainId: 1,
      condition: { metric: 'health_factor', operator: 'lt', value: '1.2' },
      action: { type: 'repay', asset: 'USDT', amount: '1000' },
    }
    const blank = await client
      .post('/api/v1/intents')
      .bearerToken(token)
      .json({ ...intent, name: '   ' })
    blank.assertStatus(422)
    assert.deepEqual(fields(blank.body()), ['name'])

    const padded = await client
      .post('/api/v1/intents')
      .bearerToken(token)
      .json({ ...intent, protocol: '  aave_v3  ' })
    padded.assertStatus(422)
    assert.deepEqual(fields(padded.body()), ['protocol'])

    const created = await client
      .post('/api/v1/intents')
      .bearerToken(token)
      .json({ ...intent, expiresAt: '2030-01-01T00:00:00Z' })
    created.assertStatus(201)
    const id = created.body().data.id
    const empty = await client
      .patch(`/api/v1/intents/${id}`)
      .bearerToken(token)
      .json({ expiresAt: '' })
    empty.assertStatus(422)
    assert.deepEqual(fields(empty.body()), ['expiresAt'])
    const cleared = await client
      .patch(`/api/v1/intents/${id}`)
      .bearerToken(token)
      .json({ expiresAt: null })
    cleared.assertStatus(200)
    assert.isNull(cleared.body().data.expiresAt)
  })

  test('a number where the document says integer must be a JSON number', async ({ client }) => {
    const user = await UserFactory.create()
    const response = await client
      .post('/api/v1/positions')
      .bearerToken(await userToken(user))
      .json(snapshotBody({ chainId: '1' }))
    response.assertStatus(422)
  })
})

test.group('Contract | what the document says about positions ingest', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('walletAddress: required in a batch and for services, documented', async ({
    client,
    assert,
  }) => {
    const doc = openApiDocument() as Json
    const body = (path: string) =>
      doc.paths[path].post.requestBody.content['application/json'].schema
    const batchItem = body('/api/v1/positions/batch').properties.snapshots.items
    assert.include(batchItem.required, 'walletAddress')
    const one = body('/api/v1/positions')
    assert.notInclude(one.required, 'walletAddress')
    assert.match(one.properties.walletAddress.description, /Required when the caller is a service/)
    assert.equal(one.properties.chainId.default, 1)
    assert.equal(batchItem.properties.chainId.default, 1)

    const service = await serviceToken(['positions:write'])
    const response = await client
      .post('/api/v1/positions')
      .bearerToken(service)
      .json(snapshotBody())
    response.assertStatus(422)
    assert.deepEqual(fields(response.body()), ['walletAddress'])
    const batch = await client
      .post('/api/v1/positions/batch')
      .bearerToken(service)
      .json({ snapshots: [snapshotBody()] })
    batch.assertStatus(422)
    assert.deepEqual(fields(batch.body()), ['snapshots.0.walletAddress'])
  })

  test('chainId left out is 1, as documented', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const { chainId, ...body } = snapshotBody()
    assert.equal(chainId, 1)
    const response = await client
      .post('/api/v1/positions')
      .bearerToken(await userToken(user))
      .json(body)
    response.assertStatus(201)
    assert.equal(response.body().data.chainId, 1)
  })
})

test.group('Contract | media types', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('a form body is a 415 and changes nothing', async ({ assert }) => {
    const user = await UserFactory.merge({ email: 'a@b.co' }).create()
    const response = await raw('PATCH', '/api/v1/me', {
      headers: {
        'authorization': `Bearer ${await userToken(user)}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'email=c%40d.co',
    })
    assert.equal(response.status, 415)
    assert.equal(response.body.errors[0].code, 'E_UNSUPPORTED_MEDIA_TYPE')
    assert.equal((await User.findOrFail(user.id)).email, 'a@b.co')
  })

  test('text/plain, multipart, a non-UTF-8 charset or no body: 415', async ({ assert }) => {
    const user = await UserFactory.create()
    const auth = { authorization: `Bearer ${await userToken(user)}` }
    for (const [type, body] of [
      ['text/plain', '{"email":"c@d.co"}'],
      ['multipart/form-data; boundary=x', '--x\r\n\r\n--x--'],
      ['application/json; charset=latin1', '{}'],
      ['application/vnd.api+json', '{}'],
    ]) {
      const response = await raw('PATCH', '/api/v1/me', {
        headers: { ...auth, 'content-type': type },
        body,
      })
      assert.equal(response.status, 415, type)
    }
    const none = await raw('PATCH', '/api/v1/me', { headers: auth })
    assert.equal(none.status, 415)
    const utf8 = await raw('PATCH', '/api/v1/me', {
      headers: { ...auth, 'content-type': 'application/json; charset=UTF-8' },
      body: '{}',
    })
    assert.equal(utf8.status, 200)
  })

  test('a body on an operation that takes none: JSON is ignored, anything else 415', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    const auth = { authorization: `Bearer ${await userToken(user)}` }
    const json = await raw('POST', '/api/v1/me/telegram/link', {
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{}',
    })
    assert.equal(json.status, 201)
    const text = await raw('POST', '/api/v1/me/telegram/link', {
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'hello',
    })
    assert.equal(text.status, 415)
    const empty = await raw('POST', '/api/v1/me/telegram/link', { headers: auth })
    assert.equal(empty.status, 201)
  })
})

test.group('Contract | the caller is known before the body is read', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('no token: 401 whatever the body, on every operation that needs one', async ({ assert }) => {
    const doc = openApiDocument() as Json
    const bodies: [string, Json | undefined][] = [
      ['application/json', { nope: 1 }],
      ['application/json', '{"malformed'],
      ['text/plain', 'x'],
      ['application/json', '["\\u0000"]'],
    ] as never
    let checked = 0
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      for (const [method, op] of Object.entries(item as Json)) {
        if (!op.security.length || method === 'get') continue
        const url = path.replace('{id}', '01900000-0000-7000-8000-000000000000')
        for (const [type, body] of bodies) {
          const response = await raw(method.toUpperCase(), url, {
            headers: { 'content-type': type },
            body: typeof body === 'string' ? body : JSON.stringify(body),
          })
          assert.equal(response.status, 401, `${method} ${path} with ${type} ${String(body)}`)
          checked++
        }
      }
    }
    assert.isAbove(checked, 40)
  })

  test('every route reads its input through the contract', async ({ assert }) => {
    const doc = openApiDocument() as Json
    const user = await UserFactory.create()
    const tokens: Json = {
      userToken: await userToken(user),
      serviceToken: await serviceToken(['positions:write', 'signals:write']),
    }
    let checked = 0
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      for (const [method, op] of Object.entries(item as Json)) {
        const scheme = Object.keys(op.security[0] ?? {})[0]
        const headers: Json =
          scheme === 'telegramSecret'
            ? { 'x-telegram-bot-api-secret-token': 'test-webhook-secret' }
            : tokens[scheme]
              ? { authorization: `Bearer ${tokens[scheme]}` }
              : {}
        const url = path.replace('{id}', '01900000-0000-7000-8000-000000000000')
        if (method === 'get') {
          // Only API routes read their query strings (SafeInput): NUL there is a 422.
          if (!path.startsWith('/api/') || op.operationId === 'streamAlerts') continue
          const response = await raw('GET', `${url}?q=%00`, { headers })
          assert.oneOf(response.status, [404, 422], `${method} ${path}`)
          if (response.status === 404)
            assert.equal(response.body.errors[0].code, 'E_FEATURE_DISABLED')
        } else {
          const response = await raw(method.toUpperCase(), url, {
            headers: { ...headers, 'content-type': 'text/plain' },
            body: 'x',
          })
          assert.equal(response.status, 415, `${method} ${path}`)
        }
        checked++
      }
    }
    assert.isAbove(checked, 25)
  })

  test('a wrong token and a bad query: 401, not 422', async ({ assert }) => {
    const response = await raw('GET', '/api/v1/alerts?limit=0&cursor=%00', {
      headers: { authorization: 'Bearer oat_nope' },
    })
    assert.equal(response.status, 401)
  })
})

test.group('Contract | a method a path does not serve', () => {
  test('is a 405 with Allow', async ({ client, assert }) => {
    const response = await client.put('/api/v1/me')
    response.assertStatus(405)
    assert.equal(response.body().errors[0].code, 'E_METHOD_NOT_ALLOWED')
    assert.equal(response.header('allow'), 'GET, HEAD, PATCH')
    const id = await client.delete('/api/v1/positions/01900000-0000-7000-8000-000000000000')
    id.assertStatus(405)
    assert.equal(id.header('allow'), 'GET, HEAD')
  })

  test('an unknown path, or an id that cannot be one, stays a 404', async ({ client }) => {
    ;(await client.put('/api/v1/nowhere')).assertStatus(404)
    ;(await client.delete('/api/v1/positions/not-a-uuid')).assertStatus(404)
  })
})
