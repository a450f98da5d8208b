import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { errors as vineErrors } from '@vinejs/vine'

/*
 * Input no handler should ever see, refused up front as a 422 naming the
 * field (both found by tests/resilience/fuzz.spec.ts as 500s):
 * - text PostgreSQL cannot store: a NUL character in text or jsonb, or a lone
 *   UTF-16 surrogate (`"\ud800"` is valid JSON, not valid Unicode);
 * - object keys that shadow JavaScript's object members (`__proto__`,
 *   `constructor`, `toString`, `valueOf`, …, and `prototype`): JSON.parse
 *   makes them plain own properties, but a `{ "toString": 1 }` where a number
 *   belongs made the validator throw, and a deep merge is where prototype
 *   pollution starts. No field of this API has such a name.
 */
// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
/** Far deeper than any body of this API; a bound for every later walk over input. */
const MAX_DEPTH = 32
const shadowsObjectMember = (key: string) => key in Object.prototype || key === 'prototype'

type Problem = { field: string; message: string; rule: string }

function findProblem(value: unknown, path: string[], depth = 0): Problem | null {
  if (typeof value === 'string') {
    return UNSTORABLE.test(value)
      ? {
          field: path.join('.') || '(body)',
          message: 'Text must not contain NUL characters or unpaired UTF-16 surrogates',
          rule: 'storableText',
        }
      : null
  }
  if (!value || typeof value !== 'object') return null
  if (depth > MAX_DEPTH) {
    return {
      field: path.join('.'),
      message: `Nested deeper than ${MAX_DEPTH} levels`,
      rule: 'maxDepth',
    }
  }
  for (const key of Object.keys(value)) {
    const safeKey = key.replace(new RegExp(UNSTORABLE, 'g'), '\uFFFD')
    if (safeKey !== key) {
      return {
        field: [...path, safeKey].join('.'),
        message: 'Keys must not contain NUL characters or unpaired UTF-16 surrogates',
        rule: 'storableText',
      }
    }
    if (shadowsObjectMember(key)) {
      return {
        field: [...path, key].join('.'),
        message: `"${key}" is not accepted as a key`,
        rule: 'reservedKey',
      }
    }
    const found = findProblem((value as Record<string, unknown>)[key], [...path, key], depth + 1)
    if (found) return found
  }
  return null
}

export default class SafeInputMiddleware {
  async handle({ request }: HttpContext, next: NextFn) {
    // Only API routes read their query strings; elsewhere an odd parameter is ignored.
    const query = request.url().startsWith('/api/') ? findProblem(request.qs(), []) : null
    const problem = query ?? findProblem(request.body(), [])
    if (problem) throw new vineErrors.E_VALIDATION_ERROR([problem])
    return next()
  }
}
