import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import db from '@adonisjs/lucid/services/db'
import { UserFactory } from '#factories/user_factory'
import { serviceToken, userToken } from '#tests/helpers/auth'
import { rawRequest } from '#tests/helpers/http'

/** Every error: `{ errors: [{ code, message, field? }] }` and nothing else. */
function assertErrorShape(assert: any, body: any, code: string) {
  assert.deepEqual(Object.keys(body), ['errors'])
  assert.isAbove(body.errors.length, 0)
  for (const error of body.errors) {
    assert.isString(error.code)
    assert.isString(error.message)
    assert.notProperty(error, 'stack')
    for (const key of Object.keys(error)) assert.include(['code', 'message', 'field'], key)
  }
  assert.equal(body.errors[0].code, code)
}

test.group('HTTP | the one error shape', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('unknown route: 404', async ({ client, assert }) => {
    const response = await client.get('/api/v1/no-such-thing')
    response.assertStatus(404)
    assertErrorShape(assert, response.body(), 'E_ROUTE_NOT_FOUND')
  })

  test('a malformed id is a 404, not a database error', async ({ client, assert }) => {
    const token = await userToken(await UserFactory.create())
    const response = await client.get("/api/v1/positions/1' or 1=1--").bearerToken(token)
    response.assertStatus(404)
    assertErrorShape(assert, response.body(), 'E_ROUTE_NOT_FOUND')
  })

  test('malformed JSON: 400', async ({ assert }) => {
    const response = await rawRequest('/api/v1/auth/siwe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"message": "abc", ',
    })
    assert.equal(response.status, 400)
    assertErrorShape(assert, await response.json(), 'E_MALFORMED_JSON')
  })

  test('a JSON scalar where an object belongs: 400 E_MALFORMED_JSON, not a 422 E_HTTP_422', async ({
    assert,
  }) => {
    for (const body of ['"just a string"', '42', 'null']) {
      const response = await rawRequest('/api/v1/auth/siwe', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      assert.equal(response.status, 400, body)
      assertErrorShape(assert, await response.json(), 'E_MALFORMED_JSON')
    }
  })

  // As deep as the body limit allows: the parse and the prototype-key scan do
  // not recurse, and nothing copies the body (a deep copy of it used to
  // overflow the stack: a 400 at 100,000 levels).
  test('deep nesting: 422 past 32 levels, however deep; never a 500', async ({ assert }) => {
    for (const [depth, status, code] of [
      [40, 422, 'E_VALIDATION_ERROR'],
      [1_000, 422, 'E_VALIDATION_ERROR'],
      [100_000, 422, 'E_VALIDATION_ERROR'],
      [600_000, 422, 'E_VALIDATION_ERROR'],
    ] as const) {
      for (const body of [
        '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
        '{"m":' + '['.repeat(depth) + '1' + ']'.repeat(depth) + '}',
      ]) {
        const response = await rawRequest('/api/v1/auth/siwe', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        })
        assert.equal(response.status, status, `depth ${depth}`)
        assertErrorShape(assert, await response.json(), code)
      }
    }
  })

  test('a body over the limit: 413', async ({ assert }) => {
    const response = await rawRequest('/api/v1/auth/siwe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'x'.repeat(5 * 1024 * 1024), signature: '0x00' }),
    })
    assert.equal(response.status, 413)
    assertErrorShape(assert, await response.json(), 'E_REQUEST_ENTITY_TOO_LARGE')
  })

  test('validation: 422 with one entry per bad field and its path', async ({ client, assert }) => {
    const response = await client.post('/api/v1/auth/siwe').json({ message: 42 })
    response.assertStatus(422)
    assertErrorShape(assert, response.body(), 'E_VALIDATION_ERROR')
    assert.sameMembers(
      response.body().errors.map((e: any) => e.field),
      ['message', 'signature']
    )
  })

  test('no token: 401', async ({ client, assert }) => {
    const response = await client.get('/api/v1/me')
    response.assertStatus(401)
    assertErrorShape(assert, response.body(), 'E_UNAUTHORIZED_ACCESS')
  })

  test('responses carry a request id', async ({ client, assert }) => {
    const response = await client.get('/health/live')
    assert.match(response.header('x-request-id') ?? '', /^[A-Za-z0-9_-]{10,}$/)
  })
})

test.group('HTTP | CORS', () => {
  test('the dashboard origin passes preflight; others get no CORS headers', async ({
    client,
    assert,
  }) => {
    const allowed = await client
      .options('/api/v1/me')
      .header('origin', 'http://localhost:5173')
      .header('access-control-request-method', 'PATCH')
      .header('access-control-request-headers', 'authorization,content-type')
    allowed.assertStatus(204)
    assert.equal(allowed.header('access-control-allow-origin'), 'http://localhost:5173')
    assert.include(allowed.header('access-control-allow-methods'), 'PATCH')

    const denied = await client
      .options('/api/v1/me')
      .header('origin', 'https://evil.example')
      .header('access-control-request-method', 'PATCH')
    assert.isUndefined(denied.header('access-control-allow-origin'))
  })
})

test.group('HTTP | text PostgreSQL cannot store', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('a NUL or a lone surrogate anywhere in a body or query is a 422 naming the field, not a 500', async ({
    assert,
    client,
  }) => {
    const token = await serviceToken(['signals:write'])
    const signal = (data: unknown) => ({
      type: 'depeg',
      asset: 'USDC',
      severity: 'low',
      data,
      detectedAt: new Date().toISOString(),
    })
    const cases: [unknown, string][] = [
      [{ note: 'a\u0000b' }, 'data.note'],
      [{ nested: [{ x: '\uD800' }] }, 'data.nested.0.x'],
      [{ ['k\uDC00']: 1 }, 'data.k\uFFFD'],
    ]
    for (const [data, field] of cases) {
      const response = await client.post('/api/v1/signals').bearerToken(token).json(signal(data))
      response.assertStatus(422)
      assert.equal(response.body().errors[0].field, field)
      assert.equal(response.body().errors[0].code, 'E_VALIDATION_ERROR')
    }
    const query = await client.get('/api/v1/signals').qs({ type: 'x\u0000' }).bearerToken(token)
    query.assertStatus(422)
    assert.equal(query.body().errors[0].field, 'type')
    // A surrogate pair (an emoji) is fine.
    const fine = await client
      .post('/api/v1/signals')
      .bearerToken(token)
      .json(signal({ note: '💥' }))
    fine.assertStatus(201)
  })

  test('JSON strings arrive as sent: nothing trimmed, "" is not null, at any depth', async ({
    assert,
    client,
  }) => {
    const token = await serviceToken(['signals:write'])
    const signal = {
      type: 'depeg',
      asset: 'USDC',
      severity: 'low',
      data: { note: '  padded\t', blank: '   ', empty: '', nested: [' x ', { y: '\n' }] },
      detectedAt: new Date().toISOString(),
    }
    // A padded value fails the pattern it fails in the document (ADR 0008).
    for (const [field, value] of [
      ['type', '  depeg '],
      ['severity', ' low '],
      ['asset', ''],
    ]) {
      const response = await client
        .post('/api/v1/signals')
        .bearerToken(token)
        .json({ ...signal, [field]: value })
      response.assertStatus(422)
      assert.equal(response.body().errors[0].field, field)
    }
    // Free-form data is kept verbatim.
    const response = await client.post('/api/v1/signals').bearerToken(token).json(signal)
    response.assertStatus(201)
    assert.deepEqual(response.body().data.data, signal.data)
  })
})

test.group('HTTP | keys that shadow object members', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('__proto__, constructor, toString … anywhere in a body are a 422 naming the field, never a 500', async ({
    assert,
  }) => {
    const token = await serviceToken(['positions:write'])
    const snapshot = (chainId: unknown) => ({
      walletAddress: '0x00000000000000000000000000000000000000aa',
      protocol: 'aave_v3',
      chainId,
      collateral: [],
      debt: [],
      snapshotAt: new Date().toISOString(),
    })
    const cases: [string, string][] = [
      // Before: Vine turned this object into a number by calling its "toString": a 500.
      [
        JSON.stringify({ snapshots: [snapshot({ toString: 'Infinity' })] }),
        'snapshots.0.chainId.toString',
      ],
      // The body parser drops "__proto__" itself; what is left is judged on its own.
      ['{"snapshots": [], "__proto__": {"admin": true}}', 'snapshots'],
      [
        JSON.stringify({
          snapshots: [{ ...snapshot(1), metadata: { valueOf: 1 } }],
        }),
        'snapshots.0.metadata.valueOf',
      ],
    ]
    for (const [body, field] of cases) {
      const response = await rawRequest('/api/v1/positions/batch', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'authorization': `Bearer ${token}` },
        body,
      })
      assert.equal(response.status, 422, body)
      const json = (await response.json()) as any
      assert.equal(json.errors[0].field, field)
      assert.equal(json.errors[0].code, 'E_VALIDATION_ERROR')
    }
    const [{ n }] = await db.from('positions').count('* as n')
    assert.equal(Number(n), 0)
  })
})
