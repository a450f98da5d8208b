import { readFile } from 'node:fs/promises'
import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import router from '@adonisjs/core/services/router'
import { Validator } from '@seriousme/openapi-schema-validator'
import { openApiDocument, servedOperations, toOpenApiPath } from '#openapi/document'
import { CLIENT_TYPES, DOCUMENT_COPY, renderClient } from '#commands/openapi_client'
import { assertConformsToDocument } from '#tests/helpers/openapi'

type Json = Record<string, any>

function registeredRoutes(): string[] {
  const keys: string[] = []
  for (const routes of Object.values(router.toJSON())) {
    for (const route of routes) {
      for (const method of route.methods) {
        if (method !== 'HEAD') keys.push(`${method} ${toOpenApiPath(route.pattern)}`)
      }
    }
  }
  return keys.sort()
}

function documentedRoutes(doc: Json): string[] {
  return Object.entries(doc.paths as Json)
    .flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`))
    .sort()
}

/** Every schema object in the document, with where it is. */
function* schemas(node: unknown, at: string): Generator<[string, Json]> {
  if (!node || typeof node !== 'object') return
  if (Array.isArray(node)) {
    for (const [i, child] of node.entries()) yield* schemas(child, `${at}/${i}`)
    return
  }
  const object = node as Json
  if (object.properties || object.type) yield [at, object]
  for (const [key, child] of Object.entries(object)) yield* schemas(child, `${at}/${key}`)
}

test.group('Contract | the OpenAPI document', () => {
  test('is a valid OpenAPI 3.1 document', async ({ assert }) => {
    const validator = new Validator()
    const result = await validator.validate(openApiDocument() as never)
    assert.deepEqual(result.errors ?? [], [])
    assert.isTrue(result.valid)
    assert.equal(validator.version, '3.1')
  })

  test('describes exactly the routes the router serves', ({ assert }) => {
    const doc = openApiDocument()
    assert.deepEqual(documentedRoutes(doc), registeredRoutes())
    // And the operation table is what the document was built from.
    assert.lengthOf(documentedRoutes(doc), servedOperations().length)
  })

  test('every operation documents its error shape, its security and its success reply', ({
    assert,
  }) => {
    const doc = openApiDocument() as Json
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      for (const [method, op] of Object.entries(item as Json)) {
        const where = `${method.toUpperCase()} ${path}`
        const statuses = Object.keys(op.responses).map(Number)
        assert.isTrue(
          statuses.some((s) => s < 300),
          `${where} has a success reply`
        )
        // Readiness answers 503 with its own report: a load balancer reads `checks`.
        const ownErrorBodies = path === '/health/ready' ? [503] : []
        for (const status of statuses.filter((s) => s >= 400 && !ownErrorBodies.includes(s))) {
          assert.equal(
            op.responses[status].$ref,
            `#/components/responses/Error${status}`,
            `${where} ${status} uses the one error shape`
          )
        }
        assert.isArray(op.security, `${where} states its security`)
        if (op.security.length > 0) assert.include(statuses, 401, `${where} documents 401`)
        if (op.requestBody || op.parameters.some((p: Json) => p.in === 'query')) {
          assert.include(statuses, 422, `${where} documents 422`)
        }
        if (path.includes('{id}')) assert.include(statuses, 404, `${where} documents 404`)
      }
    }
  })

  test('conventions: camelCase keys, instants with offset, lists with data and nextCursor', ({
    assert,
  }) => {
    const doc = openApiDocument() as Json
    for (const [at, schema] of schemas(doc.components.schemas, '#/components/schemas')) {
      for (const [name, property] of Object.entries((schema.properties ?? {}) as Json)) {
        // the one exception, named by issue 25: horizons as keys ({ "1h", "24h", "7d" })
        if (at.includes('LiquidationRisk') && /^(1h|24h|7d)$/.test(name)) continue
        assert.match(name, /^[a-z][A-Za-z0-9]*$/, `${at}: ${name} is camelCase`)
        if (/At$/.test(name)) {
          const formats = [property.format, ...(property.anyOf ?? []).map((s: Json) => s.format)]
          assert.include(formats, 'date-time', `${at}: ${name} is an ISO 8601 instant`)
        }
      }
    }
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      for (const [method, op] of Object.entries(item as Json)) {
        const params = (op.parameters as Json[]).map((p) => p.name)
        if (method !== 'get' || !params.includes('cursor')) continue
        const body = op.responses['200'].content['application/json'].schema
        assert.deepEqual(body.required, ['data', 'meta'], `${path} is a list`)
        assert.equal(body.properties.data.type, 'array', `${path} data is an array`)
        assert.property(body.properties.meta.properties, 'nextCursor', `${path} has nextCursor`)
        assert.include(params, 'limit', `${path} takes limit`)
      }
    }
  })

  test('request bodies come from the validators: what is enforced is what is documented', ({
    assert,
  }) => {
    const doc = openApiDocument() as Json
    const batch =
      doc.paths['/api/v1/positions/batch'].post.requestBody.content['application/json'].schema
    const asset = batch.properties.snapshots.items.properties.collateral.items
    assert.equal(batch.properties.snapshots.maxItems, 1000)
    assert.match('1234.5', new RegExp(asset.properties.amount.pattern))
    assert.notMatch('1e3', new RegExp(asset.properties.amount.pattern))
    assert.notMatch('-5', new RegExp(asset.properties.amount.pattern))
    assert.equal(batch.properties.snapshots.items.properties.snapshotAt.format, 'date-time')
    const history = doc.paths['/api/v1/positions/history'].get.parameters as Json[]
    assert.deepEqual(history.find((p) => p.name === 'limit')?.schema, {
      type: 'integer',
      minimum: 1,
      maximum: 200,
    })
  })

  test('GET /openapi.json serves the document', async ({ assert, client }) => {
    const response = await client.get('/openapi.json')
    response.assertStatus(200)
    assert.deepEqual(response.body(), JSON.parse(JSON.stringify(openApiDocument())))
  })

  test('the committed typed client and document copy are current', async ({ assert }) => {
    const { types, document } = await renderClient()
    assert.equal(
      await readFile(app.makePath(DOCUMENT_COPY), 'utf8'),
      document,
      `${DOCUMENT_COPY} is stale: run pnpm client:generate`
    )
    assert.equal(
      await readFile(app.makePath(CLIENT_TYPES), 'utf8'),
      types,
      `${CLIENT_TYPES} is stale: run pnpm client:generate`
    )
  })

  test('GET /docs is the Scalar reference, with every script served from here', async ({
    assert,
    client,
  }) => {
    const page = await client.get('/docs')
    page.assertStatus(200)
    assert.match(page.header('content-type') ?? '', /^text\/html/)
    const html = page.text()
    assert.include(html, '<script src="/docs/assets/scalar.js"></script>')
    assert.include(html, "url: '/openapi.json'")
    assert.notMatch(html, /https?:\/\//, 'no absolute URL: nothing is fetched from a CDN')
    assert.include(page.header('content-security-policy'), "default-src 'self'")

    const script = await client.get('/docs/assets/scalar.js')
    script.assertStatus(200)
    assert.match(script.header('content-type') ?? '', /^text\/javascript/)
    assert.isAbove(Number(script.header('content-length')), 1_000_000)
    assert.include(script.text(), 'createApiReference')
  })

  test('the response check fails on what the document does not allow', ({ assert }) => {
    const alert = {
      method: 'GET',
      url: '/api/v1/alerts',
      status: 200,
      contentType: 'application/json; charset=utf-8',
      headers: {},
      body: { data: [], meta: { nextCursor: null } },
    }
    assert.doesNotThrow(() => assertConformsToDocument(alert))
    assert.throws(
      () => assertConformsToDocument({ ...alert, body: { data: [], meta: {} } }),
      /nextCursor/
    )
    assert.throws(
      () =>
        assertConformsToDocument({
          ...alert,
          body: { data: [], meta: { nextCursor: null }, extra: 1 },
        }),
      /additional properties/
    )
    assert.throws(() => assertConformsToDocument({ ...alert, status: 500 }), /not documented/)
    assert.throws(
      () => assertConformsToDocument({ ...alert, status: 401, body: { error: 'nope' } }),
      /does not match/
    )
    assert.throws(
      () => assertConformsToDocument({ ...alert, url: '/api/v1/nowhere' }),
      /no such operation/
    )
    assert.throws(
      () =>
        assertConformsToDocument({
          ...alert,
          status: 429,
          body: { errors: [{ code: 'E_TOO_MANY_REQUESTS', message: 'slow down' }] },
        }),
      /Retry-After/
    )
  })
})
