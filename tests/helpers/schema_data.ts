import fc from 'fast-check'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'

/*
 * Data from the OpenAPI document's request schemas, the way OpenAPI fuzzers
 * (Schemathesis, RESTler) make it: *positive* values the schema allows, and
 * *negative* values it forbids — one spot of a valid value broken: a wrong
 * type, an extra field, a missing required one, a pattern, length, range or
 * enum broken. Each value is checked against the schema with ajv (JSON Schema
 * 2020-12, formats on) before it is used, so "allowed" and "forbidden" are the
 * document's word, not this generator's.
 */

export type Json = Record<string, any>

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: false }))
const compiled = new WeakMap<Json, (value: unknown) => boolean>()

/** Whether the document's schema allows `value`. */
export function allows(schema: Json, value: unknown): boolean {
  let fn = compiled.get(schema)
  if (!fn) {
    const validate = ajv.compile(schema)
    fn = (v: unknown) => validate(v) as boolean
    compiled.set(schema, fn)
  }
  return fn(value)
}

const RESERVED = (key: string) => key in Object.prototype || key === 'prototype'
/** Keys of free-form objects (metadata, data): plain words. */
const freeKey = fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,11}$/).filter((k) => !RESERVED(k))
const freeValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null)
)

const MAX_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59)
export const instantBetween = (min: number, max: number) =>
  fc.integer({ min, max }).map((ms) => new Date(ms).toISOString())

/** Strings a pattern matches, within the lengths; fast-check cannot do lookaheads, hence the fallback. */
function matching(pattern: string, minLength = 0, maxLength = 200): fc.Arbitrary<string> {
  const re = new RegExp(pattern)
  const fits = (s: string) => s.length >= minLength && s.length <= maxLength && re.test(s)
  try {
    return fc.stringMatching(re).filter(fits)
  } catch {
    const candidates = ['1', '2', '10', '1000.5', '0.5', 'max', 'a', 'abc', 'x1'].filter(fits)
    return fc.constantFrom(...(candidates.length ? candidates : ['1']))
  }
}

/** An override for a field that must be sent, though the schema makes it optional. */
export const always = (arbitrary: fc.Arbitrary<unknown>) => ({ always: arbitrary })
export type Override = fc.Arbitrary<unknown> | ReturnType<typeof always> | null | undefined

/**
 * A value the schema allows. `override(path)` replaces the arbitrary at a
 * path (dots, `*` for array items) where a rule stated in the document's words
 * narrows what the schema says; `null` there leaves the field out, `always()`
 * sends it every time.
 */
export function positive(
  schema: Json | undefined,
  override: (path: string) => Override = () => undefined,
  path = ''
): fc.Arbitrary<unknown> {
  const own = override(path)
  if (own) return 'always' in own ? own.always : own
  if (!schema) return fc.constant({})
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (schema.enum) return fc.constantFrom(...(schema.enum as unknown[]))
  if (schema.anyOf)
    return fc.oneof(...(schema.anyOf as Json[]).map((s) => positive(s, override, path)))
  const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type ?? 'object']
  const options = types.map((type): fc.Arbitrary<unknown> => {
    switch (type) {
      case 'null':
        return fc.constant(null)
      case 'boolean':
        return fc.boolean()
      case 'integer':
        return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 })
      case 'number':
        return fc.double({
          min: schema.minimum ?? schema.exclusiveMinimum ?? -1e6,
          minExcluded: schema.minimum === undefined && schema.exclusiveMinimum !== undefined,
          max: schema.maximum ?? schema.exclusiveMaximum ?? 1e6,
          maxExcluded: schema.maximum === undefined && schema.exclusiveMaximum !== undefined,
          noNaN: true,
          noDefaultInfinity: true,
        })
      case 'string':
        if (schema.format === 'date-time') return instantBetween(0, MAX_INSTANT)
        if (schema.format === 'email')
          return fc
            .tuple(fc.stringMatching(/^[a-z0-9]{1,12}$/), fc.stringMatching(/^[a-z]{1,10}$/))
            .map(([local, host]) => `${local}@${host}.example`)
        if (schema.format === 'uri')
          return fc.stringMatching(/^[a-z]{1,10}$/).map((p) => `https://example.com/${p}`)
        if (schema.pattern) return matching(schema.pattern, schema.minLength, schema.maxLength)
        return fc.string({
          minLength: schema.minLength ?? 0,
          maxLength: Math.min(schema.maxLength ?? 40, 40),
        })
      case 'array': {
        const items = positive(schema.items, override, `${path}.*`)
        const constraints = {
          minLength: schema.minItems ?? 0,
          maxLength: Math.min(schema.maxItems ?? 3, 3),
        }
        return schema.uniqueItems
          ? fc.uniqueArray(items, { ...constraints, selector: (v) => JSON.stringify(v) })
          : fc.array(items, constraints)
      }
      default: {
        const properties = Object.entries((schema.properties ?? {}) as Json)
        const extra = schema.additionalProperties
        if (properties.length === 0) {
          if (extra === false) return fc.constant({})
          const values =
            extra && typeof extra === 'object' ? positive(extra, override, `${path}.*`) : freeValue
          return fc.dictionary(freeKey, values, { maxKeys: 3 })
        }
        const required = new Set<string>(schema.required ?? [])
        const record: Record<string, fc.Arbitrary<unknown>> = {}
        const requiredKeys: string[] = []
        for (const [name, s] of properties) {
          const at = path ? `${path}.${name}` : name
          const given = override(at)
          if (given === null) continue
          record[name] = positive(s, override, at)
          if (required.has(name) || (given && 'always' in given)) requiredKeys.push(name)
        }
        return fc.record(record, { requiredKeys })
      }
    }
  })
  return options.length === 1 ? options[0] : fc.oneof(...options)
}

interface Site {
  path: (string | number)[]
  schema: Json
  value: unknown
  parent?: Json
}

/** Every place in `value` with the schema that governs it. */
function sites(schema: Json, value: unknown, path: (string | number)[] = []): Site[] {
  const found: Site[] = [{ path, schema, value }]
  const alternatives: Json[] = schema.anyOf ?? [schema]
  for (const s of alternatives) {
    if (Array.isArray(value) && s.items) {
      value.forEach((item, i) => found.push(...sites(s.items, item, [...path, i])))
    } else if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, child] of Object.entries(value)) {
        const own = s.properties?.[key]
        const sub =
          own ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : null)
        if (sub) found.push(...sites(sub, child, [...path, key]))
      }
    }
  }
  return found
}

/** The ways to break one spot, each a function of the spot's value. */
function breakers(site: Site): [string, (v: unknown) => unknown][] {
  const s = site.schema
  const list: [string, (v: unknown) => unknown][] = [
    ['wrong type: number', () => 42],
    ['wrong type: string', () => 'text'],
    ['wrong type: string "1"', () => '1'],
    ['wrong type: boolean', () => true],
    ['wrong type: null', () => null],
    ['wrong type: array', () => []],
    ['wrong type: object', () => ({})],
  ]
  if (typeof site.value === 'string') {
    list.push(
      ['leading space', (v) => ` ${v}`],
      ['trailing space', (v) => `${v} `],
      ['empty string', () => '']
    )
  }
  if (s.maxLength !== undefined) list.push(['too long', () => 'a'.repeat(s.maxLength + 1)])
  if (s.pattern) list.push(['pattern broken', () => '#not it#'])
  if (s.enum) list.push(['not in the enum', () => 'not_a_choice'])
  if (s.format === 'date-time') {
    list.push(
      ['no offset', () => '2026-03-03T12:00:00'],
      ['no seconds', () => '2026-03-03T12:00Z'],
      ['before 1970', () => '1969-12-31T23:59:59Z'],
      ['not a date', () => '2026-02-30T12:00:00Z']
    )
  }
  if (s.maximum !== undefined) list.push(['above the maximum', () => s.maximum + 1])
  if (s.minimum !== undefined) list.push(['below the minimum', () => s.minimum - 1])
  if (s.type === 'integer') list.push(['a fraction', () => 1.5])
  if (s.maxItems !== undefined && s.maxItems <= 64) {
    list.push([
      'too many items',
      (v) => Array.from({ length: s.maxItems + 1 }, () => (v as unknown[])?.[0] ?? 1),
    ])
  }
  if (s.minItems) list.push(['too few items', () => []])
  if (site.value && typeof site.value === 'object' && !Array.isArray(site.value)) {
    if (s.additionalProperties === false) {
      list.push(['an extra field', (v) => ({ ...(v as Json), unexpectedField: 1 })])
    }
    for (const key of (s.required ?? []) as string[]) {
      list.push([
        `missing required ${key}`,
        (v) => {
          const rest = { ...(v as Json) }
          delete rest[key]
          return rest
        },
      ])
    }
  }
  return list
}

function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value
  const copy = structuredClone(root) as Json
  let node = copy
  for (const key of path.slice(0, -1)) node = node[key]
  node[path.at(-1)!] = value
  return copy
}

export interface Broken {
  value: unknown
  what: string
}

/**
 * A value the schema forbids: a valid one with one spot broken. Draws that
 * ajv still finds valid (a "wrong type" the schema happens to allow) are
 * skipped, so every value produced is one the document refuses.
 */
export function negative(schema: Json, valid: fc.Arbitrary<unknown>): fc.Arbitrary<Broken> {
  return fc
    .tuple(valid, fc.nat(), fc.nat())
    .map(([value, pickSite, pickBreaker]) => {
      const all = sites(schema, value)
      const site = all[pickSite % all.length]
      const ways = breakers(site)
      const [what, make] = ways[pickBreaker % ways.length]
      const broken = setAt(value, site.path, make(site.value))
      return { value: broken, what: `${what} at ${site.path.join('.') || '(body)'}` }
    })
    .filter((b) => !allows(schema, b.value))
}

/** Query strings: every value is text. Integers and numbers are written as such. */
export const asQueryValue = (value: unknown) =>
  typeof value === 'string' ? value : JSON.stringify(value)

/** A value a query parameter's schema refuses, as text. */
export function negativeQueryValue(schema: Json): fc.Arbitrary<string> {
  const candidates: string[] = ['', ' ', 'not_a_choice', '#x#', 'a'.repeat(201)]
  if (schema.type === 'integer')
    candidates.push(
      'abc',
      '1.5',
      String((schema.maximum ?? 1e9) + 1),
      String((schema.minimum ?? -1e9) - 1)
    )
  if (schema.format === 'date-time')
    candidates.push('2026-03-03', '2026-03-03T12:00:00', 'yesterday')
  const refused = candidates.filter((text) => {
    if (schema.type === 'integer') return !/^-?\d+$/.test(text) || !allows(schema, Number(text))
    return !allows(schema, text)
  })
  return fc.constantFrom(...refused)
}
