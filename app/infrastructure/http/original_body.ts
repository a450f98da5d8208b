import { HttpRequest } from '@adonisjs/core/http'
import { safeParse } from '@poppinss/utils/json'
import bodyParserConfig from '#config/bodyparser'

/**
 * `request.original()` (the body as received) without a deep copy of every
 * JSON body up front: the framework's `setInitialBody` clones each parsed
 * body for it, 8 ms of CPU per 1,000-snapshot batch (~1 MB), and nothing in
 * this app calls it. For JSON the copy is made when first asked for, parsed
 * again from the raw text bodyparser keeps, with bodyparser's own parser: the
 * same value, untouched by whatever ran since (SafeInputMiddleware trims
 * strings in place). Other body types keep the framework's eager copy.
 */
const frameworkSetInitialBody = HttpRequest.prototype.setInitialBody
const frameworkOriginal = HttpRequest.prototype.original
const jsonConfig = bodyParserConfig.json
// Parsing the raw text again gives what bodyparser gave only while it neither
// trims nor nulls (config/bodyparser.ts); otherwise the framework's copy stays.
const reparseable = !jsonConfig.convertEmptyStringsToNull && !jsonConfig.trimWhitespaces

interface Received {
  body: Record<string, any>
  query: Record<string, any>
  copy?: Record<string, any>
}
const jsonBodies = new WeakMap<HttpRequest, Received>()

HttpRequest.macro('setInitialBody', function (this: HttpRequest, body: Record<string, any>) {
  if (!reparseable || !this.is(jsonConfig.types)) return frameworkSetInitialBody.call(this, body)
  if (jsonBodies.has(this)) {
    throw new Error('Cannot re-set initial body. Use "request.updateBody" instead')
  }
  jsonBodies.set(this, { body, query: structuredClone(this.qs()) })
  this.updateBody(body)
})

HttpRequest.macro('original', function (this: HttpRequest): Record<string, any> {
  const received = jsonBodies.get(this)
  if (!received) return frameworkOriginal.call(this)
  if (received.copy) return received.copy
  // without the raw text (a request built by hand), the body as it is now
  const raw = this.raw()
  const body = raw === null ? structuredClone(received.body) : safeParse(raw)
  const copy = Object.freeze({ ...body, ...received.query })
  received.copy = copy
  return copy
})
