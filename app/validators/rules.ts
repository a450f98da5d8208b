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

/*
 * Strings are validated as sent: nothing trims them or turns "" into null
 * first (ADR 0008). A pattern with no spaces refuses " 1.5 ", and a value is
 * cleared with null, never with "".
 */
export const decimalString = () => vine.string().regex(DECIMAL).maxLength(100)

/**
 * A JSON number only, in a body: "1" is a string and a 422, as the document's
 * `type: integer` says. Query strings are text and use the plain vine.number().
 */
export const jsonNumber = () => vine.number({ strict: true })

/** Chain ids in a body; `chainIdParam()` is the same in a query string. */
export const chainId = () => jsonNumber().withoutDecimals().range([1, 2_147_483_647])
export const chainIdParam = () => vine.number().withoutDecimals().range([1, 2_147_483_647])

/**
 * The value the service uses when the field is left out, stated in the
 * document as `default` (the validator fills it in, so no caller guesses).
 */
const defaultValueRule = vine.createRule(
  (value, options: { value: number | string }, field) => {
    if (value === undefined) field.mutate(options.value, field)
  },
  {
    name: 'defaultValue',
    implicit: true,
    toJSONSchema: (schema, options) => void (schema.default = options.value as number | string),
  }
)
export const defaultValue = (value: number | string) => defaultValueRule({ value })

const EARLIEST_INSTANT = DateTime.fromISO('1970-01-01T00:00:00Z', { zone: 'utc' })
const LATEST_INSTANT = DateTime.fromISO('9999-12-31T23:59:59.999Z', { zone: 'utc' })

/**
 * An ISO 8601 instant that names its offset ("2026-03-03T12:00:00Z" or "+02:00"),
 * normalised to UTC. A local time without an offset would be ambiguous.
 */
/**
 * RFC 3339 (what `format: date-time` means), narrowed to what is stored: years
 * 1970–9999 as written, seconds present, an upper-case T and Z, a colon in the
 * offset, at most nanoseconds. The document publishes this pattern.
 */
export const INSTANT =
  /^(19[7-9]\d|[2-9]\d{3})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/

const isoInstantRule = vine.createRule(
  (value, _options: { note?: string }, field) => {
    if (typeof value !== 'string') return
    const parsed = DateTime.fromISO(value, { setZone: true })
    if (!INSTANT.test(value) || !parsed.isValid) {
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
  {
    name: 'isoInstant',
    toJSONSchema: (schema, options) => {
      schema.format = 'date-time'
      schema.pattern = INSTANT.source
      schema.description = [
        'An RFC 3339 instant with its offset, between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z (UTC), e.g. 2026-03-03T12:00:00Z.',
        options.note,
      ]
        .filter(Boolean)
        .join(' ')
    },
  }
)

/**
 * `note` states, in the document, a rule on the instant the service applies
 * and a schema cannot (relative to now, or to another field).
 */
export const isoInstant = (note?: string) =>
  vine
    .string()
    .use(isoInstantRule({ note }))
    .transform((value) => value as unknown as DateTime)

export const walletAddress = () =>
  vine
    .string()
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
export const protocolName = () => vine.string().regex(LOWER_SNAKE).use(canonicalProtocolRule())

/**
 * What the server hands out as `meta.nextCursor` (or an SSE id): base64url.
 * Only a value it issued is valid; another of this shape is a 422 E_INVALID_CURSOR.
 */
export const CURSOR = /^[A-Za-z0-9_-]{1,200}$/
const opaqueCursorRule = vine.createRule(() => {}, {
  name: 'opaqueCursor',
  toJSONSchema: (schema) => {
    schema.minLength = 1
    schema.description =
      'Opaque: pass back a `meta.nextCursor` exactly as received. Any other value is a 422 E_INVALID_CURSOR.'
  },
})
export const cursor = () => vine.string().maxLength(200).regex(CURSOR).use(opaqueCursorRule())

export const pagination = {
  limit: vine.number().withoutDecimals().range([1, 200]).optional(),
  cursor: cursor().optional(),
}

/*
 * GET filters by wallet (docs/adr/0014). Any case in, compared in lower case.
 * Every filter narrows the caller's own rows: a wallet that is not on their
 * list answers an empty list, the same as one of theirs holding nothing, so
 * nobody learns whether another user holds it.
 */
const walletFilterRule = vine.createRule(() => {}, {
  name: 'walletFilter',
  toJSONSchema: (schema, options: { what: string }) =>
    void (schema.description = `Only ${options.what} (any case). A wallet that is not on the caller’s list answers an empty list, as one holding nothing does: whether another user holds it is not revealed.`),
})
export const walletFilter = (what: string) =>
  vine
    .string()
    .regex(WALLET)
    .use(walletFilterRule({ what }))
    .transform((value) => value.toLowerCase())

/** A body's `walletAddress` naming one of the caller's wallets; `note` says what it does. */
const walletChoiceRule = vine.createRule(() => {}, {
  name: 'walletChoice',
  toJSONSchema: (schema, options: { note: string }) => void (schema.description = options.note),
})
export const walletChoice = (note: string) =>
  vine
    .string()
    .regex(WALLET)
    .use(walletChoiceRule({ note }))
    .transform((value) => value.toLowerCase())
