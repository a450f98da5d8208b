import { test } from '@japa/runner'
import { IncomingMessage } from 'node:http'
import { Socket } from 'node:net'
import { RequestFactory } from '@adonisjs/core/factories/http'
import '#infrastructure/http/original_body'

/** A request as bodyparser leaves it: body set once, raw text kept (unless `raw` is null). */
function received(contentType: string, raw: string | null, parsed: Record<string, any>) {
  const req = new IncomingMessage(new Socket())
  req.method = 'POST'
  req.url = '/api/v1/things?page=2'
  req.headers['content-type'] = contentType
  req.headers['content-length'] = String(Buffer.byteLength(raw ?? JSON.stringify(parsed)))
  const request = new RequestFactory().merge({ req }).create()
  request.setInitialBody(parsed)
  if (raw !== null) request.updateRawBody(raw)
  return request
}

test.group('HTTP | request.original()', () => {
  test('JSON: the body as received, whatever was done to the parsed one since', ({ assert }) => {
    const raw = '{"name":"  padded ","nested":{"list":[" x ",{"y":""}]}}'
    const request = received('application/json; charset=utf-8', raw, JSON.parse(raw))
    // what SafeInputMiddleware does: strings normalised in place
    const body = request.body()
    body.name = 'padded'
    body.nested.list[0] = 'x'
    body.nested.list[1].y = null

    assert.deepEqual(request.body().nested, { list: ['x', { y: null }] })
    const original = request.original()
    assert.deepEqual(original, {
      name: '  padded ',
      nested: { list: [' x ', { y: '' }] },
      page: '2',
    })
    assert.isTrue(Object.isFrozen(original))
    assert.strictEqual(request.original(), original)
    assert.throws(() => request.setInitialBody({}), /Cannot re-set initial body/)
  })

  test('JSON: parsed again with bodyparser’s own rules (__proto__ dropped)', ({ assert }) => {
    const raw = '{"a":1,"__proto__":{"admin":true}}'
    const request = received('application/json', raw, { a: 1 })
    assert.deepEqual(Object.keys(request.original()), ['a', 'page'])
    assert.isUndefined(({} as any).admin)
  })

  // What makes it cheap: nothing is copied when the body is set (the framework
  // deep-cloned every JSON body there); the copy comes from the raw text.
  test('JSON: copied from the raw text when first asked for', ({ assert }) => {
    const parsed = { snapshots: [{ amount: '1' }] }
    const request = received('application/json', '{"snapshots":[{"amount":"2"}]}', parsed)
    assert.strictEqual(request.body(), parsed)
    assert.deepEqual(request.original().snapshots, [{ amount: '2' }])
  })

  test('JSON without its raw text (a request built by hand): a copy of the body as it is', ({
    assert,
  }) => {
    const request = received('application/json', null, { nested: { a: 1 } })
    const original = request.original()
    assert.deepEqual(original, { nested: { a: 1 }, page: '2' })
    request.body().nested.a = 2
    assert.equal(request.original().nested.a, 1)
  })

  test('a form body keeps the framework’s copy, made when it was set', ({ assert }) => {
    const request = received('application/x-www-form-urlencoded', 'a=+b+', { a: ' b ' })
    request.body().a = 'changed'
    assert.deepEqual(request.original(), { a: ' b ', page: '2' })
  })
})
