import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { openApiDocument } from '#openapi/document'

/*
 * Every response the functional suite receives through the Japa client is
 * checked against the OpenAPI document (tests/bootstrap.ts): its status must
 * be documented for that operation, its content type must match, and a JSON
 * body must validate against the documented schema. The document cannot
 * drift from what the API actually answers without failing a test.
 */

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020
const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'

type Doc = ReturnType<typeof openApiDocument>
type ResponseObject = { $ref?: string; content?: Record<string, { schema?: unknown }> }

let state:
  | {
      doc: Doc
      ajv: Ajv2020
      paths: { template: string; pattern: RegExp; literal: boolean }[]
      compiled: Map<string, ValidateFunction>
    }
  | undefined

function init() {
  if (state) return state
  const doc = openApiDocument()
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats(ajv)
  ajv.addSchema(doc, 'openapi.json')
  const paths = Object.keys(doc.paths)
    .map((template) => ({
      template,
      literal: !template.includes('{'),
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, UUID)}$`),
    }))
    // Literal paths first: /positions/history before /positions/{id}.
    .sort((a, b) => Number(b.literal) - Number(a.literal))
  state = { doc, ajv, paths, compiled: new Map() }
  return state
}

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')

function validator(ref: string): ValidateFunction {
  const s = init()
  let fn = s.compiled.get(ref)
  if (!fn) {
    fn = s.ajv.getSchema(`openapi.json#/${ref}`)
    if (!fn) throw new Error(`OpenAPI: no schema at ${ref}`)
    s.compiled.set(ref, fn)
  }
  return fn
}

function explain(fn: ValidateFunction): string {
  return (fn.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '(root)'} ${e.message} ${JSON.stringify(e.params)}`)
    .join('; ')
}

const TRANSPORT_CODES = new Set(['E_BAD_REQUEST', 'E_REQUEST_TIMEOUT', 'E_HEADERS_TOO_LARGE'])

export interface ObservedResponse {
  method: string
  url: string
  status: number
  contentType: string | undefined
  headers: Record<string, string | undefined>
  body: unknown
}

/** Throws with a readable reason when the response is not what the document says. */
export function assertConformsToDocument(r: ObservedResponse) {
  const s = init()
  const method = r.method.toLowerCase()
  // CORS preflights are answered by the CORS middleware for any path; they are not operations.
  if (method === 'options') return
  // The router ignores a trailing slash.
  const path = new URL(r.url, 'http://x').pathname.replace(/(.)\/+$/, '$1')
  const where = `${r.method.toUpperCase()} ${path} → ${r.status}`

  // Answered by the HTTP server before any route (node_server.ts): the error shape, on any path.
  if (
    [400, 408, 431].includes(r.status) &&
    TRANSPORT_CODES.has((r.body as any)?.errors?.[0]?.code)
  ) {
    const fn = validator('components/schemas/Error')
    if (!fn(r.body)) throw new Error(`${where}: not the error shape: ${explain(fn)}`)
    return
  }

  const template = s.paths.find((p) => p.pattern.test(path))?.template
  const operation = template
    ? (s.doc.paths[template] as Record<string, { responses: Record<string, ResponseObject> }>)[
        method
      ]
    : undefined

  if (!operation) {
    // Unknown route or method: only an error in the one shape is acceptable.
    if (r.status < 400) throw new Error(`${where}: no such operation in the OpenAPI document`)
    const fn = validator('components/schemas/Error')
    if (!fn(r.body)) throw new Error(`${where}: not the error shape: ${explain(fn)}`)
    return
  }

  let response = operation.responses[String(r.status)]
  if (!response) {
    throw new Error(
      `${where}: status not documented (documented: ${Object.keys(operation.responses).join(', ')})`
    )
  }
  let responsePointer = pointer('paths', template!, method, 'responses', String(r.status))
  if (response.$ref) {
    const name = response.$ref.split('/').at(-1)!
    response = (s.doc.components.responses as Record<string, ResponseObject>)[name]
    responsePointer = pointer('components', 'responses', name)
  }

  if (r.status === 429 && !r.headers['retry-after']) {
    throw new Error(`${where}: 429 without Retry-After`)
  }

  const declared = Object.keys(response.content ?? {})
  if (declared.length === 0) {
    if (
      r.body !== undefined &&
      r.body !== '' &&
      r.body !== null &&
      Object.keys(r.body as object).length
    ) {
      throw new Error(`${where}: documented without a body, but one came back`)
    }
    return
  }
  const type = (r.contentType ?? '').split(';')[0].trim()
  if (!declared.includes(type)) {
    throw new Error(`${where}: content type ${type || '(none)'}, documented ${declared.join(', ')}`)
  }
  if (type === 'application/json' && response.content![type].schema) {
    const fn = validator(`${responsePointer}/${pointer('content', type, 'schema')}`)
    if (!fn(r.body)) throw new Error(`${where}: body does not match the document: ${explain(fn)}`)
  }
}
