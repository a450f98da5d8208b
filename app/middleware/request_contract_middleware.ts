import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import BodyParserMiddleware from '@adonisjs/core/bodyparser_middleware'
import { errors as vineErrors } from '@vinejs/vine'
import bodyParserConfig from '#config/bodyparser'
import features from '#config/features'
import { DomainError } from '#domain/shared/errors'
import { requestBodySchema, operationOf } from '#openapi/document'
import SafeInputMiddleware from '#middleware/safe_input_middleware'

/*
 * The request half of the contract (ADR 0008), last on every route: after
 * auth and throttle, so a caller without a valid token hears 401 whatever it
 * sent, and nothing is read before the caller is known. In order:
 *
 * 0. A phase-gated operation whose feature is off is a 404, whatever was sent.
 * 1. 415 for a body that is not `application/json` (UTF-8): a form or text
 *    body is never applied. An operation that takes a body needs one.
 * 2. The body is parsed (400 malformed, 413 too large).
 * 3. Text PostgreSQL cannot store, prototype keys, absurd depth: 422.
 * 4. Where the operation takes a JSON object: an array is a 422, and every
 *    field its schema does not name (`additionalProperties: false`), and
 *    every null where it admits none, is a 422 naming its path. The schema is
 *    the document's own, from the validator.
 */

type Json = Record<string, any>

/** As the controllers say it. */
const DISABLED = {
  intents: 'Intents are not enabled',
  eventStore: 'The event store is not enabled',
}

const bodyParser = new BodyParserMiddleware(bodyParserConfig)
const safeInput = new SafeInputMiddleware()
const READS_BODY = new Set(bodyParserConfig.allowedMethods)

/** `application/json`, with no charset or UTF-8: the only body this API reads. */
function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false
  const [type, ...params] = contentType.split(';').map((part) => part.trim().toLowerCase())
  if (type !== 'application/json') return false
  return params.every((p) => !p.startsWith('charset=') || /^charset="?utf-8"?$/.test(p))
}

/** Content-Length > 0 or chunked: there is something to read. */
function carriesBody(headers: Record<string, string | string[] | undefined>): boolean {
  if (headers['transfer-encoding'] !== undefined) return true
  const length = Number(headers['content-length'] ?? 0)
  return Number.isFinite(length) && length > 0
}

type Problem = { field: string; message: string; rule: string }

/** Whether a schema admits null; one with no type at all admits anything. */
function admitsNull(s: Json): boolean {
  if (s.anyOf) return (s.anyOf as Json[]).some(admitsNull)
  if (s.enum) return (s.enum as unknown[]).includes(null)
  if (s.const !== undefined) return s.const === null
  if (s.type === undefined) return true
  return s.type === 'null' || (Array.isArray(s.type) && s.type.includes('null'))
}

/**
 * What the schema refuses and the validators would let through, at any depth,
 * each with its path: a key the schema does not name, and null where it does
 * not admit null (VineJS reads null in an optional field as "left out").
 */
export function contractProblems(schema: Json | undefined, value: unknown, path: string[] = []) {
  const found: Problem[] = []
  const walk = (s: Json | undefined, v: unknown, at: string[]) => {
    if (!s) return
    if (v === null) {
      if (at.length && !admitsNull(s)) {
        const field = at.join('.')
        found.push({ field, message: `The ${field} field must not be null`, rule: 'notNull' })
      }
      return
    }
    if (typeof v !== 'object') return
    if (Array.isArray(v)) {
      if (s.items) v.forEach((item, i) => walk(s.items, item, [...at, String(i)]))
      return
    }
    const properties = (s.properties ?? {}) as Json
    for (const key of Object.keys(v)) {
      const child = (v as Json)[key]
      if (Object.hasOwn(properties, key)) walk(properties[key], child, [...at, key])
      else if (s.additionalProperties === false) {
        const field = [...at, key].join('.')
        found.push({
          field,
          message: `The ${field} field is not part of this request (see the OpenAPI document)`,
          rule: 'unknownField',
        })
      } else if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        walk(s.additionalProperties, child, [...at, key])
      }
    }
  }
  walk(schema, value, path)
  return found
}

export default class RequestContractMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const { request } = ctx
    const operation = operationOf(request.method(), ctx.route?.pattern)
    const schema = operation ? requestBodySchema(operation) : undefined
    const headers = request.headers()

    if (operation?.gated && !features[operation.gated]) {
      throw new DomainError('E_FEATURE_DISABLED', DISABLED[operation.gated])
    }

    if (READS_BODY.has(request.method()) && (schema || carriesBody(headers))) {
      if (!isJson(headers['content-type'])) {
        throw new DomainError(
          'E_UNSUPPORTED_MEDIA_TYPE',
          schema
            ? 'This operation takes a JSON body: Content-Type: application/json (UTF-8)'
            : 'A body, where one is sent, must be JSON: Content-Type: application/json (UTF-8)'
        )
      }
    }

    return bodyParser.handle(ctx, () =>
      safeInput.handle(ctx, () => {
        if (schema && READS_BODY.has(request.method())) {
          const body = request.body() as unknown
          if (schema.type === 'object' && (Array.isArray(body) || typeof body !== 'object')) {
            throw new vineErrors.E_VALIDATION_ERROR([
              { field: '', message: 'The request body must be a JSON object', rule: 'object' },
            ])
          }
          const problems = contractProblems(schema, body)
          if (problems.length) throw new vineErrors.E_VALIDATION_ERROR(problems)
        }
        return next()
      })
    )
  }
}
