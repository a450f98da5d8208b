import vine from '@vinejs/vine'
import { DateTime } from 'luxon'
import { PROTOCOL_ALIASES, canonicalProtocol } from '#domain/shared/protocols'

/**
 * Non-negative decimal strings only: no sign, no exponent, no hex, no
 * whitespace — "1e3" or "-5" in an amount is a bug or an attack, not a number.
 */
export const DECIMAL = /^(0|[1-9]\d{0,59})(\.\d{1,36})?$/
/** A relative change such as "-0.2" (−20 %) or "0.15"; the sign is allowed here. */
export const SIGNED_DECIMAL = /^-?(0|[1-9]\d{0,17})(\.\d{1,36})?$/
/** A ratio within 0..1 inclusive (liquidation thresholds). */
export const UNIT_INTERVAL = /^(0(\.\d{1,36})?|1(\.0{1,36})?)$/
export const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9.\-_+]{0,31}$/
export const WALLET = /^0x[0-9a-fA-F]{40}$/
export const LOWER_SNAKE = /^[a-z][a-z0-9_]{0,63}$/

export const decimalString = () => vine.string().trim().regex(DECIMAL).maxLength(100)

const EARLIEST_INSTANT = DateTime.fromISO('1970-01-01T00:00:00Z', { zone: 'utc' })
const LATEST_INSTANT = DateTime.fromISO('9999-12-31T23:59:59.999Z', { zone: 'utc' })

/**
 * An ISO 8601 instant that names its offset ("2026-03-03T12:00:00Z" or "+02:00"),
 * normalised to UTC. A local time without an offset would be ambiguous.
 */
const isoInstantRule = vine.createRule(
  (value, _options, field) => {
    if (typeof value !== 'string') return
    const withOffset = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/
    const parsed = DateTime.fromISO(value, { setZone: true })
    if (!withOffset.test(value) || !parsed.isValid) {
      field.report(
        'The {{ field }} field must be an ISO 8601 instant with an offset, such as 2026-03-03T12:00:00Z',
        'isoInstant',
        field
      )
      return
    }
    const utc = parsed.toUTC()
    // luxon takes years PostgreSQL cannot store (year 0) or read back from its
    // ISO form (beyond 9999 it writes "+010000-…"): the query would fail, a 500.
    if (utc < EARLIEST_INSTANT || utc > LATEST_INSTANT) {
      field.report(
        'The {{ field }} field must be an instant between the years 1970 and 9999',
        'isoInstant',
        field
      )
      return
    }
    field.mutate(utc, field)
  },
  // RFC 3339 date-time requires the offset too: the OpenAPI document says what we enforce.
  { name: 'isoInstant', toJSONSchema: (schema) => void (schema.format = 'date-time') }
)

export const isoInstant = () =>
  vine
    .string()
    .trim()
    .use(isoInstantRule())
    .transform((value) => value as unknown as DateTime)

export const walletAddress = () =>
  vine
    .string()
    .trim()
    .regex(WALLET)
    .transform((value) => value.toLowerCase())

const aliases = Object.entries(PROTOCOL_ALIASES)
  .map(([alias, name]) => `\`${alias}\` for \`${name}\``)
  .join(' and ')

/**
 * Runs after the shape check (VineJS bails at the first failure), so only a
 * lower_snake_case name reaches canonicalProtocol().
 */
const canonicalProtocolRule = vine.createRule(
  (value, _options, field) => {
    if (typeof value === 'string') field.mutate(canonicalProtocol(value), field)
  },
  {
    name: 'canonicalProtocol',
    // The pattern admits the aliases already; say what becomes of them.
    toJSONSchema: (schema) =>
      void (schema.description = `A protocol in lower_snake_case, such as \`aave_v3\`. The aliases ${aliases} are accepted and mean the same; the canonical name is what is stored and answered.`),
  }
)

/** A protocol name, aliases resolved: every route that takes one uses this. */
export const protocolName = () =>
  vine.string().trim().regex(LOWER_SNAKE).use(canonicalProtocolRule())

export const pagination = {
  limit: vine.number().withoutDecimals().range([1, 200]).optional(),
  cursor: vine.string().trim().maxLength(200).optional(),
}
