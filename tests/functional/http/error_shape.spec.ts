import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import { UserFactory } from '#factories/user_factory'
import { userToken } from '#tests/helpers/auth'
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
