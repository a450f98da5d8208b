import { test } from '@japa/runner'
import fc from 'fast-check'
import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import { openApiDocument } from '#openapi/document'
import { UserFactory } from '#factories/user_factory'
import { PositionFactory } from '#factories/position_factory'
import { AlertFactory } from '#factories/alert_factory'
import { IntentFactory } from '#factories/intent_factory'
import { SignalFactory } from '#factories/signal_factory'
import delivery from '#config/delivery'
import type { User } from '#models'
import { serviceToken, userToken } from '#tests/helpers/auth'
import { truncateAll } from '#tests/helpers/database'
import { assertConformsToDocument } from '#tests/helpers/openapi'
import {
  always,
  asQueryValue,
  instantBetween,
  negative,
  negativeQueryValue,
  positive,
  type Override,
} from '#tests/helpers/schema_data'

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

// --- the document's word, both ways ------------------------------------------------------------
/*
 * The two checks OpenAPI fuzzers run (issue 23), for every operation and every
 * kind of caller it admits:
 * - positive data is accepted: a request the document allows, generated from
 *   its schemas, with valid tokens and ids that exist, is never a 422;
 * - negative data is rejected: a request the document forbids (one spot of a
 *   valid body or query broken, a body that is not JSON, the wrong caller) is
 *   never a 2xx, and writes nothing.
 * Deterministic: FUZZ_SEED (default 23) and CONTRACT_FUZZ_RUNS per operation,
 * caller and check (default 25); a failure prints its seed and shrunk input.
 */
const CONTRACT_RUNS = Number(process.env.CONTRACT_FUZZ_RUNS ?? 25)
const SEED = Number(process.env.FUZZ_SEED ?? 23)
const DAY = 86_400_000
const MAX_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59)

type CallerKind = 'user' | 'service' | 'public' | 'telegram'

function callersOf(op: Json): CallerKind[] {
  const security = (op.security ?? []) as Json[]
  if (security.length === 0) return ['public']
  return security.map((s) =>
    'userToken' in s ? 'user' : 'serviceToken' in s ? 'service' : 'telegram'
  )
}

interface World {
  user: User
  userToken: string
  serviceToken: string
  ids: Record<string, string>
  held: string[]
}

const integerText = (min: number, max: number) => fc.integer({ min, max }).map(String)
const ASSETS = ['USDC', 'USDT', 'DAI', 'WETH', 'WBTC'] as const
/** An action Aave v3 on chain 1 can prepare (the operation's description states the rule). */
const preparableAction = fc.oneof(
  fc.record({
    type: fc.constantFrom('repay', 'withdraw'),
    asset: fc.constantFrom(...ASSETS),
    amount: fc.oneof(fc.constant('max'), integerText(1, 1_000_000)),
  }),
  fc.record({
    type: fc.constantFrom('supply', 'notify'),
    asset: fc.constantFrom(...ASSETS),
    amount: integerText(1, 1_000_000),
  })
)
const futureInstant = () => instantBetween(Date.now() + DAY, MAX_INSTANT)
const wallet = fc.stringMatching(/^0x[0-9a-f]{40}$/)
const amount = integerText(0, 1_000_000)

/**
 * Rules the document states in words because a JSON Schema cannot say them
 * (they depend on the caller, on other fields, on the clock or on stored
 * rows): positive data keeps to them, as a client reading the document would.
 * `null` leaves a field out. Opaque cursors are only ever the server's own.
 */
const WATCH_POOL = Array.from({ length: 10 }, (_, i) => '0x' + String(i + 1).padStart(40, 'c'))

function contextual(opId: string, caller: CallerKind, world: World) {
  return (path: string): Override => {
    const leaf = path.split('.').at(-1)
    if (['cursor', 'after', 'lastEventId'].includes(path)) return null
    switch (opId) {
      case 'recordSnapshot':
      case 'recordSnapshots': {
        // A service names the wallet; a user may only name their own.
        if (leaf === 'walletAddress')
          return caller === 'user' ? fc.constant(world.user.walletAddress) : always(wallet)
        // A snapshot with collateral and debt states its health factor or its thresholds.
        if (leaf === 'healthFactor') return always(amount)
        if (leaf === 'snapshotAt') return instantBetween(0, Date.now())
        if (leaf === 'metadata')
          return fc.dictionary(fc.constantFrom('source', 'block', 'indexer'), fc.string(), {
            maxKeys: 2,
          })
        return undefined
      }
      case 'simulatePosition':
        if (path === 'protocol') return fc.constantFrom('aave_v3', 'aave')
        if (path === 'chainId') return fc.constant(1)
        // Symbols the position holds; a price falls by 100 % at most.
        if (path === 'priceChanges')
          return fc.dictionary(
            fc.constantFrom(...world.held),
            fc.integer({ min: -100, max: 1000 }).map((n) => String(n / 100)),
            { maxKeys: 2 }
          )
        return undefined
      case 'snoozePosition':
        // 90 days at most; a past instant lifts a snooze.
        return path === 'until'
          ? instantBetween(Date.now() - 30 * DAY, Date.now() + 89 * DAY)
          : undefined
      case 'createIntent':
      case 'updateIntent':
        // one of the caller's proven wallets (stated on the field)
        if (path === 'walletAddress') return fc.constant(world.user.walletAddress)
        if (path === 'protocol') return fc.constantFrom('aave_v3', 'aave')
        if (path === 'chainId') return fc.constant(1)
        if (path === 'action') return preparableAction
        if (path === 'expiresAt') return fc.oneof(fc.constant(null), futureInstant())
        return undefined
      case 'recordSignal':
        // expiresAt after detectedAt
        if (path === 'detectedAt') return instantBetween(0, Date.UTC(2000, 0, 1))
        if (path === 'expiresAt') return instantBetween(Date.UTC(2000, 0, 2), MAX_INSTANT)
        return undefined
      case 'addWallet':
        // message and signature are for kind proven (stated on the fields): a watched
        // wallet from a pool of ten, so the list stays under WALLETS_PER_USER_MAX (20)
        // and a repeat is a 409, never a 422 of the limit.
        if (path === 'kind') return fc.constant('watched')
        if (path === 'address') return always(fc.constantFrom(...WATCH_POOL))
        if (path === 'message' || path === 'signature') return null
        return undefined
      case 'updateWallet':
        // the bounds also hold for a threshold given as a decimal string (stated on the field)
        if (path === 'preferences.alertThresholds.healthFactor')
          return fc.oneof(
            fc.double({ min: 1, minExcluded: true, max: 10, noNaN: true }),
            fc.constantFrom('1.5', '2', '10', null)
          )
        if (path === 'preferences.alertThresholds.liquidationProbability24h')
          return fc.oneof(
            fc.double({ min: 0.001, max: 1, noNaN: true }),
            fc.constantFrom('0.001', '0.05', '1', null)
          )
        return undefined
      case 'updateMe':
        // A zone PostgreSQL's time zone database knows.
        if (path === 'preferences.timezone')
          return fc.constantFrom('UTC', 'Europe/Paris', 'America/New_York', 'Asia/Tokyo', null)
        return undefined
      default:
        return undefined
    }
  }
}

interface Request {
  method: string
  url: URL
  headers: Record<string, string>
  body?: string
}

async function send(request: Request, streaming: boolean) {
  const abort = new AbortController()
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: abort.signal,
  })
  const type = response.headers.get('content-type') ?? ''
  let parsed: unknown
  if (streaming && response.status === 200) abort.abort()
  else {
    const text = await response.text()
    parsed = type.startsWith('application/json') && text ? JSON.parse(text) : text
    assertConformsToDocument({
      method: request.method,
      url: request.url.pathname,
      status: response.status,
      contentType: type,
      headers: Object.fromEntries(response.headers),
      body: parsed,
    })
  }
  return { status: response.status, body: parsed }
}

test.group('Resilience | the OpenAPI document, both ways', (group) => {
  group.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test('positive data is accepted, negative data is rejected', async ({ assert }) => {
    const user = await UserFactory.create()
    const position = await PositionFactory.merge({
      userId: user.id,
      walletAddress: user.walletAddress,
    }).create()
    const intent = await IntentFactory.merge({ userId: user.id }).create()
    const alert = await AlertFactory.merge({ userId: user.id }).create()
    const signal = await SignalFactory.create()
    const world: World = {
      user,
      userToken: await userToken(user),
      serviceToken: await serviceToken(['positions:write', 'signals:write']),
      ids: {
        getPosition: position.id,
        getSignal: signal.id,
        acknowledgeSignal: signal.id,
        acknowledgeAlert: alert.id,
        getIntent: intent.id,
        updateIntent: intent.id,
        cancelIntent: intent.id,
        listIntentExecutions: intent.id,
      },
      held: [...position.collateral, ...position.debt].map((a) => a.symbol),
    }
    const tally = { positive: 0, negative: 0, byStatus: {} as Record<string, number> }
    const started = Date.now()

    // Cancelling first would make later updates of the same intent conflicts: it goes last.
    const ordered = operations().sort(
      (a, b) =>
        Number(a.op.operationId === 'cancelIntent') - Number(b.op.operationId === 'cancelIntent')
    )
    for (const [index, operation] of ordered.entries()) {
      const { op } = operation
      const streaming = op.operationId === 'streamAlerts'
      const bodySchema = op.requestBody?.content?.['application/json']?.schema as Json | undefined
      const queryParams = ((op.parameters ?? []) as Json[]).filter((p) => p.in === 'query')
      const querySchema: Json = {
        type: 'object',
        properties: Object.fromEntries(queryParams.map((p) => [p.name, p.schema])),
        required: queryParams.filter((p) => p.required).map((p) => p.name),
        additionalProperties: false,
      }
      const allowed = callersOf(op)

      const tokenFor = async (caller: CallerKind | 'none') =>
        caller === 'user'
          ? op.operationId === 'authLogout'
            ? await userToken(user)
            : world.userToken
          : caller === 'service'
            ? world.serviceToken
            : undefined
      const request = async (
        caller: CallerKind | 'none',
        query: [string, string][],
        body: { text: string; type: string } | undefined
      ): Promise<Request> => {
        const id = world.ids[op.operationId] ?? '01900000-0000-7000-8000-000000000000'
        const url = new URL(operation.path.replace('{id}', id), base())
        for (const [k, v] of query) url.searchParams.append(k, v)
        const headers: Record<string, string> = {}
        const token = await tokenFor(caller)
        if (token) headers.authorization = `Bearer ${token}`
        if (caller === 'telegram') {
          headers['x-telegram-bot-api-secret-token'] = delivery.telegram.webhookSecret ?? ''
        }
        if (body) headers['content-type'] = body.type
        return { method: operation.method.toUpperCase(), url, headers, body: body?.text }
      }
      const tell = (r: Request, status: number, response: unknown) =>
        `${r.method} ${r.url.pathname}${r.url.search} ${r.body?.slice(0, 600) ?? ''} → ${status}: ${JSON.stringify(response)?.slice(0, 400)}`
      const count = (kind: 'positive' | 'negative', status: number) => {
        tally[kind]++
        tally.byStatus[`${kind} ${status}`] = (tally.byStatus[`${kind} ${status}`] ?? 0) + 1
      }

      for (const caller of allowed) {
        const override = contextual(op.operationId, caller, world)
        const validBody = bodySchema ? positive(bodySchema, override) : undefined
        const validQuery = positive(querySchema, override).map((q) =>
          Object.entries(q as Json).map(([k, v]): [string, string] => [k, asQueryValue(v)])
        )
        const json = (value: unknown) => ({ text: JSON.stringify(value), type: 'application/json' })

        // Positive: never a 422.
        await fc.assert(
          fc.asyncProperty(validQuery, validBody ?? fc.constant(undefined), async (q, b) => {
            const r = await request(caller, q, b === undefined ? undefined : json(b))
            const { status, body } = await send(r, streaming)
            count('positive', status)
            assert.isBelow(status, 500, tell(r, status, body))
            assert.notEqual(
              status,
              422,
              `allowed by the document, refused: ${tell(r, status, body)}`
            )
          }),
          { numRuns: CONTRACT_RUNS, seed: SEED + index, endOnFailure: true }
        )

        // Negative: one spot of the body or the query broken, or a body that is not JSON.
        const brokenBody = bodySchema
          ? negative(bodySchema, validBody!).map((broken) => ({
              query: [] as [string, string][],
              body: json(broken.value),
              what: broken.what,
            }))
          : undefined
        const notJson = validBody?.map((value) => ({
          query: [] as [string, string][],
          body: { text: JSON.stringify(value), type: 'text/plain' },
          what: 'a JSON body sent as text/plain',
        }))
        const brokenQuery = queryParams.length
          ? fc.tuple(validQuery, fc.constantFrom(...queryParams)).chain(([q, param]) =>
              negativeQueryValue(param.schema).map((bad) => ({
                query: [
                  ...q.filter(([k]) => k !== param.name),
                  [param.name, bad] as [string, string],
                ],
                body: undefined,
                what: `${param.name}=${JSON.stringify(bad)}`,
              }))
            )
          : undefined
        const kinds = [brokenBody, notJson, brokenQuery].filter((k) => k !== undefined)
        if (kinds.length === 0) continue
        await fc.assert(
          fc.asyncProperty(
            fc.oneof(...kinds),
            validBody ?? fc.constant(undefined),
            async (bad, b) => {
              const body = bad.body ?? (b === undefined ? undefined : json(b))
              const r = await request(caller, bad.query, body)
              const before = await writtenRows()
              const { status, body: answer } = await send(r, streaming)
              count('negative', status)
              assert.isBelow(status, 500, tell(r, status, answer))
              assert.isFalse(
                status < 300,
                `forbidden by the document (${bad.what}), accepted: ${tell(r, status, answer)}`
              )
              assert.equal(await writtenRows(), before, `${bad.what} → ${status} wrote rows`)
            }
          ),
          { numRuns: CONTRACT_RUNS, seed: SEED + index, endOnFailure: true }
        )
      }

      // The wrong caller: a user's token where only services may call, and back.
      const others = (['user', 'service'] as const).filter(
        (c) => !allowed.includes(c) && !allowed.includes('public')
      )
      for (const caller of others) {
        const body = bodySchema
          ? fc.sample(positive(bodySchema, contextual(op.operationId, caller, world)), {
              numRuns: 1,
              seed: SEED,
            })[0]
          : undefined
        const r = await request(
          caller,
          [],
          body === undefined ? undefined : { text: JSON.stringify(body), type: 'application/json' }
        )
        const { status, body: answer } = await send(r, streaming)
        count('negative', status)
        assert.equal(status, 401, `a ${caller} token: ${tell(r, status, answer)}`)
      }
    }
    console.log(
      `contract fuzz: ${JSON.stringify({ ...tally, seconds: Math.round((Date.now() - started) / 1000) })}`
    )
  }).timeout(900_000)
})
