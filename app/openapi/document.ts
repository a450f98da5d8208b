import app from '@adonisjs/core/services/app'
import { componentSchemas, type Schema } from './schemas.js'
import { operations, type Operation, type Reply } from './operations.js'

/** `/api/v1/positions/:id` → `/api/v1/positions/{id}` */
export const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z_]+)/g, '{$1}')

const ERROR_TEXT: Record<number, string> = {
  400: 'Malformed JSON (E_MALFORMED_JSON)',
  401: 'No token, an expired or revoked one, or a failed sign-in (E_UNAUTHORIZED_ACCESS, E_SIWE_*)',
  403: 'The token lacks an ability, or is the wrong kind of caller (E_MISSING_ABILITY, E_FORBIDDEN, E_FORBIDDEN_WALLET)',
  404: 'Not found, not the caller’s, or the feature is off (E_NOT_FOUND, E_FEATURE_DISABLED)',
  409: 'Conflict with the current state (E_CONFLICT, E_INTENT_LIMIT, E_VERSION_CONFLICT, E_WALLET_TAKEN, E_WALLET_EXISTS)',
  413: 'Body too large (E_REQUEST_ENTITY_TOO_LARGE)',
  415: 'A body that is not `application/json` in UTF-8, or none where the operation takes one (E_UNSUPPORTED_MEDIA_TYPE)',
  422: 'Validation failed: one entry per bad field, with its path — a wrong value, a missing field, a field the schema does not name, a body that is not a JSON object (E_VALIDATION_ERROR, E_INVALID_CURSOR, and the codes an operation names)',
  429: 'Rate limited; see Retry-After (E_TOO_MANY_REQUESTS)',
  431: 'The request line or headers are too large (E_HEADERS_TOO_LARGE), answered before any route',
  503: 'The database is unavailable (E_SERVICE_UNAVAILABLE)',
}

const TAGS: Record<string, string> = {
  Health: 'Liveness and readiness, for load balancers and orchestrators.',
  Contract: 'This document and its browsable reference.',
  Development: 'Pages for newcomers, registered outside production only.',
  Telegram: 'Linking a Telegram chat, and the webhook Telegram calls.',
  Auth: 'Sign-In with Ethereum (EIP-4361): nonces, sign-in, logout.',
  Me: 'The caller’s profile and preferences.',
  Wallets:
    'The wallets on the caller’s list: proven (theirs, by signature) and watched (any address).',
  Positions:
    'Snapshots of lending positions: ingest, reads, sync from the chain, price-shock simulation, snooze.',
  Chains: 'Chain sync: per chain, the latest block read, lag, errors, staleness.',
  Signals: 'Market signals from feeds, and the alerts they fan out to.',
  Alerts: 'The caller’s alerts: list, acknowledge, live stream.',
  Intents: 'Conditional actions evaluated on every new snapshot (phase-gated).',
  Events: 'The caller’s events and their state at an instant, from the event store (phase-gated).',
}

/** The error statuses an operation can answer, from what it takes and who may call it. */
export function errorStatuses(op: Operation): number[] {
  // Any request: a request line or headers over 16 KB are refused before any route.
  const statuses = new Set([...(op.errors ?? []), 431])
  if (op.body) [400, 413, 415, 422].forEach((s) => statuses.add(s))
  // Any body sent is read, even where none is expected: not JSON, malformed or oversized is refused.
  if (op.method !== 'get') [400, 413, 415].forEach((s) => statuses.add(s))
  // Text PostgreSQL cannot store (NUL, lone surrogates) in a body or an API query: 422.
  if (op.method !== 'get' || op.path.startsWith('/api/')) statuses.add(422)
  if (op.query) statuses.add(422)
  if (op.caller !== 'public') statuses.add(401)
  // The wrong kind of caller is a 401 (its token is not valid here); 403 is a missing ability.
  if (op.abilities?.length) statuses.add(403)
  if (op.path.includes(':') || op.gated) statuses.add(404)
  if (op.throttled) statuses.add(429)
  if (!['healthLive', 'openapi', 'docs', 'docsScript', 'statusPage'].includes(op.operationId)) {
    statuses.add(503)
  }
  return [...statuses].sort()
}

function security(op: Operation) {
  switch (op.caller) {
    case 'public':
      return []
    case 'user':
      return [{ userToken: [] }]
    // Abilities are not OAuth scopes (an http scheme has none): the description names them.
    case 'service':
      return [{ serviceToken: [] }]
    case 'any':
      return [{ userToken: [] }, { serviceToken: [] }]
    case 'telegram':
      return [{ telegramSecret: [] }]
  }
}

function queryParameters(op: Operation) {
  if (!op.query) return []
  const schema = op.query.toJSONSchema() as {
    properties?: Record<string, Schema>
    required?: string[]
  }
  return Object.entries(schema.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    schema: s,
  }))
}

function pathParameters(op: Operation) {
  return [...op.path.matchAll(/:([A-Za-z_]+)/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string', format: 'uuid' },
  }))
}

const CALLERS: Record<Operation['caller'], string> = {
  public: 'Anyone may call it, without a token.',
  user: 'Called by a user, with the token from a wallet sign-in.',
  service: 'Called by a service, with a service token.',
  any: 'Called by a user or by a service.',
  telegram: 'Called by Telegram, with the secret-token header.',
}

/** Who may call, with which abilities: every operation says it in words too. */
function whoMayCall(op: Operation): string {
  const abilities = op.abilities?.map((a) => `\`${a}\``).join(' and ')
  if (!abilities) return CALLERS[op.caller]
  return `${CALLERS[op.caller]} A service token needs the ${abilities} ability (403 E_MISSING_ABILITY otherwise).`
}

const describes = (value: unknown): value is { toJSONSchema(): object } =>
  typeof (value as { toJSONSchema?: unknown })?.toJSONSchema === 'function'

const bodySchemas = new WeakMap<Operation, Schema>()

/** The JSON Schema of an operation's body, as published: from its validator where it has one. */
export function requestBodySchema(op: Operation): Schema | undefined {
  if (!op.body) return undefined
  let schema = bodySchemas.get(op)
  if (!schema) {
    schema = (describes(op.body) ? op.body.toJSONSchema() : op.body) as Schema
    bodySchemas.set(op, schema)
  }
  return schema
}

let byRoute: Map<string, Operation> | undefined

/** The operation a matched route serves: `('PATCH', '/api/v1/me')`. HEAD is its GET. */
export function operationOf(method: string, pattern: string | undefined): Operation | undefined {
  if (!pattern) return undefined
  byRoute ??= new Map(operations.map((op) => [`${op.method.toUpperCase()} ${op.path}`, op]))
  const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase()
  return byRoute.get(`${m} ${pattern}`)
}

function reply(r: Reply) {
  if (!r.schema && !r.contentType) return { description: r.description }
  return {
    description: r.description,
    content: { [r.contentType ?? 'application/json']: r.schema ? { schema: r.schema } : {} },
  }
}

function operationObject(op: Operation) {
  const responses: Record<string, unknown> = {}
  for (const [status, r] of Object.entries(op.replies)) responses[status] = reply(r)
  for (const status of errorStatuses(op)) {
    responses[status] ??= { $ref: `#/components/responses/Error${status}` }
  }
  const body = requestBodySchema(op)
  const descriptionParts = [
    op.description,
    whoMayCall(op),
    op.gated && 'Phase-gated: 404 E_FEATURE_DISABLED when the feature is off.',
    op.devOnly && 'Outside production only.',
  ].filter(Boolean)
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    description: descriptionParts.join('\n\n'),
    security: security(op),
    parameters: [...pathParameters(op), ...queryParameters(op)],
    ...(body
      ? { requestBody: { required: true, content: { 'application/json': { schema: body } } } }
      : {}),
    responses,
  }
}

/** The operations this process serves: development pages are not registered in production. */
export function servedOperations(): Operation[] {
  return operations.filter((op) => !op.devOnly || !app.inProduction)
}

function build() {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const op of servedOperations()) {
    const path = toOpenApiPath(op.path)
    paths[path] ??= {}
    paths[path][op.method] = operationObject(op)
  }
  const errorResponses: Record<string, unknown> = {}
  for (const [status, description] of Object.entries(ERROR_TEXT)) {
    errorResponses[`Error${status}`] = {
      description,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    }
  }
  return {
    openapi: '3.1.1',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'DeFi Assistant API',
      version: '1',
      summary: 'Lending positions, market signals, alerts, intents and an event store.',
      description: [
        'Every list is `{ data, meta: { nextCursor } }` with `limit` (1–200, default 50) and an',
        'opaque `cursor`. JSON keys are camelCase, instants ISO 8601 with an offset (UTC), and',
        'amounts, USD values, prices and health factors decimal strings. Every error is',
        '`{ errors: [{ code, message, field? }] }`. A user only ever sees their own rows:',
        'another user’s resource is a 404.',
        '\n\nRequests are held to this document (ADR 0008): a body is `application/json` in UTF-8',
        '(415 otherwise), a JSON object where an object is described, and holds only the fields',
        'its schema names (422 naming each other field by its path). Strings are taken as sent:',
        'nothing is trimmed and `""` is not null; null clears a nullable field. The token is',
        'checked before the body is read: without a valid one the answer is 401 whatever the body.',
        'A method a path does not serve is a 405 with `Allow`; an unknown path a 404.',
        'Unknown query parameters are ignored.',
      ].join(' '),
      contact: { name: 'DeFi Assistant API maintainers' },
      license: { name: 'MIT', url: 'https://spdx.org/licenses/MIT.html' },
    },
    servers: [{ url: '/' }],
    tags: [...new Set(operations.map((op) => op.tag))].map((name) => ({
      name,
      description: TAGS[name],
    })),
    paths,
    components: {
      schemas: componentSchemas,
      responses: errorResponses,
      securitySchemes: {
        userToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'A user’s token from `POST /api/v1/auth/siwe` (Sign-In with Ethereum).',
        },
        serviceToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A service token (`node ace tokens:create --abilities positions:write,signals:write`). An operation lists the abilities it needs.',
        },
        telegramSecret: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Telegram-Bot-Api-Secret-Token',
          description: 'TELEGRAM_WEBHOOK_SECRET, set with `node ace telegram:set-webhook`.',
        },
      },
    },
  }
}

let cached: ReturnType<typeof build> | undefined

/** Built once per process: validators and schemas do not change at run time. */
export function openApiDocument() {
  cached ??= build()
  return cached
}
