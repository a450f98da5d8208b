import { test } from '@japa/runner'
import fc from 'fast-check'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import { openApiDocument } from '#openapi/document'
import { UserFactory } from '#factories/user_factory'
import { PositionFactory } from '#factories/position_factory'
import { serviceToken, userToken } from '#tests/helpers/auth'
import { truncateAll } from '#tests/helpers/database'
import { assertConformsToDocument } from '#tests/helpers/openapi'

/*
 * A property-based fuzzer over every operation of the OpenAPI document:
 * bodies, query strings, headers and path parameters, from near-valid values
 * derived from the operation's own schemas to hostile ones — huge numbers,
 * deep nesting, unicode and lone surrogates, NUL bytes, prototype-pollution
 * keys, SQL and HTML, invalid UTF-8, wrong content types. For each request:
 * never a 5xx, every answer is documented for that operation and matches its
 * schema (errors in the one shape), and a rejected request writes nothing.
 */

type Json = Record<string, any>
const RUNS = Number(process.env.FUZZ_RUNS ?? 200)

const base = () => `http://${env.get('HOST', '127.0.0.1')}:${env.get('PORT', 3333)}`

// --- hostile values ----------------------------------------------------------------------
const nasty = [
  "' OR 1=1 --",
  "'); drop table users; --",
  '"; select pg_sleep(5); --',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF\uD800',
  '\u202Eevil',
  '💥'.repeat(300),
  'x'.repeat(70_000),
  '1e309',
  '-0',
  'NaN',
  'Infinity',
  '0x' + 'f'.repeat(64),
  '9'.repeat(400),
  '0.' + '0'.repeat(400) + '1',
  '../../etc/passwd',
  '%00',
  '${7*7}',
  '{{7*7}}',
  ' 1.5 ',
  '１２３', // full-width digits
  '2026-02-30T25:61:00Z',
  '+275760-09-13T00:00:00.000Z',
  '__proto__',
]
const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(...nasty)
)
const hostileNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -(2 ** 63), 2 ** 64, -0, 5e-324, 1e21)
)
const protoKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', '$where')
const { value: hostileJson } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), protoKey), tie('value'), { maxKeys: 4 })
  ),
}))
/**
 * Nesting far deeper than any real body, hundreds to tens of thousands of
 * levels. Kept as text: fast-check (and JSON.stringify) would recurse that deep.
 */
const deeplyNested = fc
  .tuple(fc.integer({ min: 100, max: 20_000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays
      ? '['.repeat(depth) + '1' + ']'.repeat(depth)
      : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)
  )

// --- near-valid values from the operation's own schema -------------------------------------
/** Strings matching a pattern; fast-check cannot generate from lookaheads, so those fall back. */
function matching(pattern: string, maxLength: number): fc.Arbitrary<string> {
  try {
    return fc.stringMatching(new RegExp(pattern)).filter((s) => s.length <= maxLength)
  } catch {
    return fc.oneof(fc.constantFrom('1', '1000.5', 'max'), fc.string({ maxLength: 20 }))
  }
}

function fromSchema(schema: Json | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 6) return hostileJson
  if (schema.enum) return fc.constantFrom(...schema.enum)
  if (schema.const !== undefined) return fc.constant(schema.const)
  const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type]
  const options: fc.Arbitrary<unknown>[] = []
  for (const type of types) {
    if (type === 'null') options.push(fc.constant(null))
    if (type === 'string') {
      if (schema.format === 'date-time')
        options.push(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()))
      else if (schema.pattern) options.push(matching(schema.pattern, schema.maxLength ?? 200))
      else options.push(fc.string({ maxLength: schema.maxLength ?? 40 }))
    }
    if (type === 'integer')
      options.push(fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1_000_000 }))
    if (type === 'number')
      options.push(
        fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true })
      )
    if (type === 'boolean') options.push(fc.boolean())
    if (type === 'array') {
      options.push(
        fc.array(fromSchema(schema.items, depth + 1), {
          maxLength: Math.min(schema.maxItems ?? 3, 3),
        })
      )
    }
    if (type === 'object') {
      const properties = Object.entries((schema.properties ?? {}) as Json)
      const required = new Set<string>(schema.required ?? [])
      const record: Record<string, fc.Arbitrary<unknown>> = {}
      for (const [name, s] of properties) record[name] = fromSchema(s, depth + 1)
      options.push(
        properties.length
          ? fc.record(record, {
              requiredKeys: properties.map(([n]) => n).filter((n) => required.has(n)),
            })
          : fc.dictionary(fc.string({ maxLength: 8 }), hostileJson, { maxKeys: 3 })
      )
    }
  }
  return options.length ? fc.oneof(...options) : hostileJson
}

/** A near-valid value with one spot replaced by something hostile. */
function mutated(valid: fc.Arbitrary<unknown>) {
  return fc.tuple(valid, hostileJson, fc.nat()).map(([value, bad, pick]) => {
    const paths: (string | number)[][] = []
    const walk = (node: unknown, path: (string | number)[]) => {
      paths.push(path)
      if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node))
          walk(v, [...path, Array.isArray(node) ? Number(k) : k])
      }
    }
    walk(value, [])
    const path = paths[pick % paths.length]
    if (path.length === 0) return bad
    const copy = structuredClone(value) as Json
    let node = copy
    for (const key of path.slice(0, -1)) node = node[key as string]
    node[path.at(-1) as string] = bad
    return copy
  })
}

// --- requests -----------------------------------------------------------------------------------
interface Operation {
  method: string
  path: string
  op: Json
}

function operations(): Operation[] {
  const doc = openApiDocument() as Json
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json).map(([method, op]) => ({ method, path, op: op as Json }))
  )
}

interface Fuzzed {
  pathId: string
  query: [string, string][]
  body:
    | { kind: 'json'; value: unknown }
    | { kind: 'raw'; bytes: Buffer; type: string }
    | { kind: 'none' }
  headers: Record<string, string>
}

const invalidUtf8 = fc.constantFrom(
  Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from('{"snapshots": [' + '{"a":'.repeat(10) + '\xc0\xaf'),
  Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]) // a BOM before {}
)

function fuzzed({ op }: Operation): fc.Arbitrary<Fuzzed> {
  const bodySchema = op.requestBody?.content?.['application/json']?.schema
  const queryParams = ((op.parameters ?? []) as Json[]).filter((p) => p.in === 'query')
  const valid = fromSchema(bodySchema)
  const body = fc.oneof(
    { weight: 3, arbitrary: valid.map((value) => ({ kind: 'json' as const, value })) },
    { weight: 4, arbitrary: mutated(valid).map((value) => ({ kind: 'json' as const, value })) },
    { weight: 2, arbitrary: hostileJson.map((value) => ({ kind: 'json' as const, value })) },
    {
      weight: 1,
      arbitrary: deeplyNested.map((text) => ({
        kind: 'raw' as const,
        bytes: Buffer.from(text),
        type: 'application/json',
      })),
    },
    {
      weight: 1,
      arbitrary: invalidUtf8.map((bytes) => ({
        kind: 'raw' as const,
        bytes,
        type: 'application/json',
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom(
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/json; charset=latin1',
            'application/xml'
          ),
          hostileString
        )
        .map(([type, text]) => ({ kind: 'raw' as const, bytes: Buffer.from(text), type })),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) }
  )
  const queryValue = fc.oneof(hostileString, hostileNumber.map(String))
  const query = fc.array(
    fc.tuple(
      fc.oneof(
        ...(queryParams.length
          ? [fc.constantFrom(...queryParams.map((p) => p.name as string))]
          : []),
        protoKey,
        fc.string({ maxLength: 10 })
      ),
      fc.oneof(
        queryValue,
        ...queryParams.map((p) =>
          fromSchema(p.schema).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
        )
      )
    ),
    { maxLength: 4 }
  )
  // Header values must be bytes a client can send: latin1 only.
  const latin1 = hostileString.map((s) => s.replace(/[^\x20-\x7e\xa0-\xff]/g, '?').slice(0, 2000))
  const headers = fc.record(
    {
      'last-event-id': latin1,
      'x-request-id': latin1,
      'accept': fc.constantFrom('*/*', 'text/html', 'application/xml', ''),
      'x-telegram-bot-api-secret-token': latin1,
    },
    { requiredKeys: [] }
  )
  return fc.record({
    pathId: fc.oneof({ weight: 3, arbitrary: fc.uuid() }, { weight: 1, arbitrary: hostileString }),
    query,
    body,
    headers,
  })
}

async function writtenRows(): Promise<string> {
  const { rows } = await db.rawQuery(`
    select (select count(*) from users) as users, (select count(*) from positions) as positions,
           (select count(*) from signals) as signals, (select count(*) from alerts) as alerts,
           (select count(*) from intents) as intents, (select count(*) from event_store) as events,
           (select count(*) from position_snoozes) as snoozes,
           (select count(*) from telegram_link_codes) as link_codes,
           (select count(*) from auth_access_tokens) as tokens`)
  return JSON.stringify(rows[0])
}

test.group('Resilience | fuzzing every route from the OpenAPI document', (group) => {
  group.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test('never a 5xx, always the documented shape, nothing written when rejected', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    await PositionFactory.merge({ userId: user.id }).create()
    const tokens = {
      user: await userToken(user),
      service: await serviceToken(['positions:write', 'signals:write']),
    }
    const tally = {
      requests: 0,
      rejected: 0,
      accepted: 0,
      operations: 0,
      byStatus: {} as Record<number, number>,
    }

    for (const operation of operations()) {
      // Streams never end by themselves; the fuzzer stops at the headers for that one.
      const streaming = operation.op.operationId === 'streamAlerts'
      tally.operations++
      await fc.assert(
        fc.asyncProperty(fuzzed(operation), async (input) => {
          // Byte-wise: encodeURIComponent throws on lone surrogates, which a client could still send.
          const id = [...Buffer.from(input.pathId)]
            .map((b) => `%${b.toString(16).padStart(2, '0')}`)
            .join('')
          const path = operation.path.replace('{id}', id)
          const url = new URL(path, base())
          for (const [k, v] of input.query) url.searchParams.append(k, v)
          const security = (operation.op.security ?? []) as Json[]
          // Logging out revokes the token it is called with: give it its own each time.
          const token = security.some((s) => 'userToken' in s)
            ? operation.op.operationId === 'authLogout'
              ? await userToken(user)
              : tokens.user
            : security.some((s) => 'serviceToken' in s)
              ? tokens.service
              : undefined
          const headers: Record<string, string> = { ...input.headers }
          if (token) headers.authorization = `Bearer ${token}`
          let body: Buffer | string | undefined
          if (operation.method !== 'get' && input.body.kind === 'json') {
            headers['content-type'] = 'application/json'
            body = JSON.stringify(input.body.value) ?? 'null'
          } else if (operation.method !== 'get' && input.body.kind === 'raw') {
            headers['content-type'] = input.body.type
            body = input.body.bytes
          }

          const before = await writtenRows()
          const abort = new AbortController()
          const response = await fetch(url, {
            method: operation.method.toUpperCase(),
            headers,
            body,
            signal: abort.signal,
          })
          const type = response.headers.get('content-type') ?? ''
          let parsed: unknown
          if (streaming && response.status === 200) {
            abort.abort()
          } else {
            const text = await response.text()
            parsed = type.startsWith('application/json') && text ? JSON.parse(text) : text
          }

          tally.requests++
          tally.byStatus[response.status] = (tally.byStatus[response.status] ?? 0) + 1
          const where = `${operation.method.toUpperCase()} ${url.pathname}${url.search.slice(0, 200)}`
          assert.isBelow(
            response.status,
            500,
            `${where} → ${response.status}: ${String(JSON.stringify(parsed)).slice(0, 300)}`
          )
          if (!streaming || response.status !== 200) {
            assertConformsToDocument({
              method: operation.method,
              url: url.pathname,
              status: response.status,
              contentType: type,
              headers: Object.fromEntries(response.headers),
              body: parsed,
            })
          }
          if (response.status >= 400) {
            tally.rejected++
            assert.equal(await writtenRows(), before, `${where} → ${response.status} wrote rows`)
          } else {
            tally.accepted++
          }
        }),
        { numRuns: RUNS, endOnFailure: true }
      )
    }
    console.log(`fuzz: ${JSON.stringify(tally)}`)
    assert.isAbove(tally.rejected, tally.operations)
  }).timeout(600_000)
})
