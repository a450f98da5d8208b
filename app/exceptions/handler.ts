import app from '@adonisjs/core/services/app'
import router from '@adonisjs/core/services/router'
import { type HttpContext, ExceptionHandler } from '@adonisjs/core/http'
import { errors as vineErrors } from '@vinejs/vine'
import { DomainError, DomainErrors } from '#domain/shared/errors'

export interface ApiError {
  code: string
  message: string
  field?: string
}

/**
 * The one place that maps error codes to HTTP statuses. Domain errors carry
 * a code only; their status is decided here.
 */
const STATUS_BY_CODE: Record<string, number> = {
  E_NOT_FOUND: 404,
  E_ROW_NOT_FOUND: 404,
  E_ROUTE_NOT_FOUND: 404,
  E_FEATURE_DISABLED: 404,
  E_CONFLICT: 409,
  E_INTENT_LIMIT: 409,
  E_VERSION_CONFLICT: 409,
  E_DUPLICATE: 409,
  E_WALLET_TAKEN: 409,
  E_WALLET_EXISTS: 409,
  E_UNAUTHORIZED_ACCESS: 401,
  E_FORBIDDEN: 403,
  E_MISSING_ABILITY: 403,
  E_MALFORMED_JSON: 400,
  E_METHOD_NOT_ALLOWED: 405,
  E_UNSUPPORTED_MEDIA_TYPE: 415,
  E_REQUEST_ENTITY_TOO_LARGE: 413,
  E_TOO_MANY_REQUESTS: 429,
  E_VALIDATION_ERROR: 422,
  E_SERVICE_UNAVAILABLE: 503,
  E_FORBIDDEN_WALLET: 403,
  E_WALLET_WATCHED: 422,
  E_WALLET_AMBIGUOUS: 422,
}

/** Families of codes that share a status. */
const STATUS_BY_PREFIX: [string, number][] = [['E_SIWE_', 401]]

function statusOf(code: string): number | undefined {
  return STATUS_BY_CODE[code] ?? STATUS_BY_PREFIX.find(([prefix]) => code.startsWith(prefix))?.[1]
}

/** Failures that mean "the database is not reachable right now", not "bug". */
const DATABASE_DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08006',
  '53300', // too_many_connections
])

type ErrorLike = {
  name?: string
  code?: string
  status?: number
  message?: string
  type?: string
}

export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as ErrorLike | undefined
  if (!e || typeof e !== 'object') return false
  if (e.name === 'KnexTimeoutError') return true
  if (e.code && DATABASE_DOWN_CODES.has(e.code)) return true
  return (
    typeof e.message === 'string' &&
    (e.message.includes('Connection terminated') ||
      e.message.includes('timeout exceeded when trying to connect') ||
      // node-postgres, on a pooled client whose server went away mid-transaction
      // (tests/resilience/database_faults.spec.ts caught it as a 500).
      e.message.includes('Client has encountered a connection error and is not queryable') ||
      e.message.includes('Client was closed and is not queryable') ||
      // knex, for a query issued in a transaction it already rolled back because its
      // connection died. A bug could also cause it; it would still be no 2xx, and our
      // tests would see an unexpected 503.
      e.message.includes('Transaction query already complete'))
  )
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

/** The methods some route serves on this path; none for an unknown path. */
function allowedMethods(path: string): string[] {
  return METHODS.filter((method) => router.match(path, method, false) !== null)
}

const OUTAGE_LOG_INTERVAL_MS = 10_000
let outageLog = { loggedAt: 0, unlogged: 0 }

export default class HttpExceptionHandler extends ExceptionHandler {
  protected debug = app.inDev

  /** Turns any thrown value into a status and the one error shape of DESIGN.md §6. */
  toApiErrors(error: unknown): {
    status: number
    errors: ApiError[]
    headers?: Record<string, string>
  } {
    if (error instanceof vineErrors.E_VALIDATION_ERROR) {
      const messages = error.messages as { field: string; message: string; rule: string }[]
      return {
        status: 422,
        errors: messages.map((m) => ({
          code: 'E_VALIDATION_ERROR',
          message: m.message,
          // The body itself (not a JSON object) has no field path.
          ...(m.field ? { field: m.field } : {}),
        })),
      }
    }

    if (error instanceof DomainError) {
      const all = error instanceof DomainErrors ? error.all : [error]
      return {
        status: statusOf(error.code) ?? 422,
        errors: all.map((e) => ({
          code: e.code,
          message: e.message,
          ...(e.field ? { field: e.field } : {}),
        })),
      }
    }

    if (isDatabaseUnavailable(error)) {
      return {
        status: 503,
        headers: { 'Retry-After': '5' },
        errors: [
          {
            code: 'E_SERVICE_UNAVAILABLE',
            message: 'The database is unavailable, try again shortly',
          },
        ],
      }
    }

    const e = (error ?? {}) as ErrorLike & {
      getDefaultHeaders?: () => Record<string, unknown>
      response?: { availableIn?: number }
    }

    // body-parser marks JSON syntax errors with this type and a 400 status.
    if (e.type === 'entity.parse.failed' || (error instanceof SyntaxError && e.status === 400)) {
      return {
        status: 400,
        errors: [{ code: 'E_MALFORMED_JSON', message: 'The request body is not valid JSON' }],
      }
    }
    // A body nested thousands of levels deep overflows the parser's recursion (JSON.parse,
    // or the prototype-key scan after it, which threw it raw: a 500 found by the fuzzer).
    // Nothing else in a request recurses on client input without a bound.
    if (
      (error instanceof RangeError || e.status === 400) &&
      e.message === 'Maximum call stack size exceeded'
    ) {
      return {
        status: 400,
        errors: [{ code: 'E_MALFORMED_JSON', message: 'The request body is nested too deeply' }],
      }
    }
    // The bodyparser's strict mode: a JSON scalar (`"x"`, `1`) where an object or array belongs.
    // It came back as 422 with the code E_HTTP_422 (found by tests/resilience/fuzz.spec.ts).
    if (e.status === 422 && e.message === 'Invalid JSON, only supports object and array') {
      return {
        status: 400,
        errors: [
          { code: 'E_MALFORMED_JSON', message: 'The request body must be a JSON object or array' },
        ],
      }
    }

    // Text PostgreSQL cannot store (untranslatable_character, character_not_in_repertoire):
    // the storable-text middleware refuses it first; this is the net under it.
    if (e.code === '22P05' || e.code === '22021') {
      return {
        status: 422,
        errors: [
          {
            code: 'E_VALIDATION_ERROR',
            message: 'Text must not contain NUL characters or unpaired UTF-16 surrogates',
          },
        ],
      }
    }

    if (e.code === 'E_ROW_NOT_FOUND') {
      return {
        status: 404,
        errors: [{ code: 'E_NOT_FOUND', message: 'The resource does not exist' }],
      }
    }
    if (e.code === 'E_ROUTE_NOT_FOUND') {
      return {
        status: 404,
        errors: [{ code: 'E_ROUTE_NOT_FOUND', message: 'No route matches this method and path' }],
      }
    }

    const status =
      typeof e.status === 'number' ? e.status : e.code ? STATUS_BY_CODE[e.code] : undefined
    if (status && status >= 400 && status < 500) {
      const headers: Record<string, string> = {}
      if (status === 429) {
        // @adonisjs/limiter's ThrottleException knows when the budget refills.
        const retryAfter = e.getDefaultHeaders?.()['Retry-After'] ?? e.response?.availableIn ?? 60
        headers['Retry-After'] = String(retryAfter)
      }
      return {
        status,
        headers,
        errors: [{ code: e.code ?? `E_HTTP_${status}`, message: e.message ?? 'Request failed' }],
      }
    }

    return { status: 500, errors: [{ code: 'E_INTERNAL', message: 'Internal server error' }] }
  }

  async handle(error: unknown, ctx: HttpContext) {
    // A known path asked with a method it does not serve: 405 and what it does serve.
    if ((error as ErrorLike | undefined)?.code === 'E_ROUTE_NOT_FOUND') {
      const allow = allowedMethods(ctx.request.url())
      if (allow.length) {
        ctx.response.header('Allow', allow.join(', '))
        return ctx.response.status(405).send({
          errors: [
            {
              code: 'E_METHOD_NOT_ALLOWED',
              message: `${ctx.request.method()} is not served here; allowed: ${allow.join(', ')}`,
            },
          ],
        })
      }
    }
    const { status, errors, headers } = this.toApiErrors(error)
    for (const [name, value] of Object.entries(headers ?? {})) {
      ctx.response.header(name, value)
    }
    if (status === 500 && this.debug) {
      // Development only: the stack helps whoever is running `pnpm dev`.
      const stack = error instanceof Error ? error.stack : String(error)
      return ctx.response.status(500).send({ errors, debug: { stack } })
    }
    return ctx.response.status(status).send({ errors })
  }

  async report(error: unknown, ctx: HttpContext) {
    const { status } = this.toApiErrors(error)
    if (status < 500) return
    if (isDatabaseUnavailable(error)) {
      // An outage fails every request the same way: one line per interval with
      // a count, rather than a stack trace per request (hundreds a second).
      const now = Date.now()
      if (now - outageLog.loggedAt < OUTAGE_LOG_INTERVAL_MS) {
        outageLog.unlogged++
        return
      }
      ctx.logger.error(
        { err: error, requestId: ctx.request.id(), unloggedSinceLast: outageLog.unlogged },
        'database unavailable: answering 503'
      )
      outageLog = { loggedAt: now, unlogged: 0 }
      return
    }
    ctx.logger.error({ err: error, requestId: ctx.request.id() }, 'request failed')
  }
}
