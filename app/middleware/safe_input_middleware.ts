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

const unstorableText = (field: string): Problem => ({
  field: field || '(body)',
  message: 'Text must not contain NUL characters or unpaired UTF-16 surrogates',
  rule: 'storableText',
})

/**
 * The first problem in `value`, depth first. Strings are left as sent: nothing
 * trims them or turns "" into null (ADR 0008). `path` is the walk's own stack
 * (pushed and popped, copied only into a problem's field).
 */
function findProblem(value: unknown, path: string[], depth = 0): Problem | null {
  if (typeof value === 'string')
    return UNSTORABLE.test(value) ? unstorableText(path.join('.')) : null
  if (!value || typeof value !== 'object') return null
  if (depth > MAX_DEPTH) {
    return {
      field: path.join('.'),
      message: `Nested deeper than ${MAX_DEPTH} levels`,
      rule: 'maxDepth',
    }
  }
  const container = value as Record<string, unknown>
  for (const key of Object.keys(container)) {
    if (UNSTORABLE.test(key)) {
      return {
        field: [...path, key.replace(new RegExp(UNSTORABLE, 'g'), '\uFFFD')].join('.'),
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
    const child = container[key]
    if (typeof child === 'string') {
      if (UNSTORABLE.test(child)) return unstorableText([...path, key].join('.'))
      continue
    }
    path.push(key)
    const found = findProblem(child, path, depth + 1)
    path.pop()
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
