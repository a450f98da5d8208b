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
  409: 'Conflict with the current state (E_CONFLICT, E_INTENT_LIMIT, E_VERSION_CONFLICT)',
  413: 'Body too large (E_REQUEST_ENTITY_TOO_LARGE)',
  422: 'Validation failed: one entry per bad field, with its path (E_VALIDATION_ERROR, E_INVALID_CURSOR)',
  429: 'Rate limited; see Retry-After (E_TOO_MANY_REQUESTS)',
  503: 'The database is unavailable (E_SERVICE_UNAVAILABLE)',
}

const describes = (value: unknown): value is { toJSONSchema(): object } =>
  typeof (value as { toJSONSchema?: unknown })?.toJSONSchema === 'function'

/** The error statuses an operation can answer, from what it takes and who may call it. */
export function errorStatuses(op: Operation): number[] {
  const statuses = new Set(op.errors ?? [])
  if (op.body) [400, 413, 422].forEach((s) => statuses.add(s))
  // Any body sent is parsed, even where none is expected: malformed or oversized is refused.
  if (op.method !== 'get') [400, 413].forEach((s) => statuses.add(s))
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
  const abilities = op.abilities ?? []
  switch (op.caller) {
    case 'public':
      return []
    case 'user':
      return [{ userToken: [] }]
    case 'service':
      return [{ serviceToken: abilities }]
    case 'any':
      return [{ userToken: [] }, { serviceToken: abilities }]
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
  const body = op.body ? (describes(op.body) ? op.body.toJSONSchema() : op.body) : undefined
  const descriptionParts = [
    op.description,
    op.gated && 'Phase-gated: 404 E_FEATURE_DISABLED when the feature is off.',
    op.devOnly && 'Outside production only.',
  ].filter(Boolean)
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    ...(descriptionParts.length ? { description: descriptionParts.join('\n\n') } : {}),
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
      ].join(' '),
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/' }],
    tags: [...new Set(operations.map((op) => op.tag))].map((name) => ({ name })),
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
