import vine from '@vinejs/vine'
import { CHANNELS } from '#domain/users/preferences'
import { WALLET } from './rules.js'

/** Positive decimals as a string: "1.5", "0.05"; no sign, exponent or spaces. */
const DECIMAL_NUMBER = /^(0|[1-9]\d{0,17})(\.\d{1,18})?$/

/**
 * A threshold given as a JSON number or a decimal string ("1.5"), stored as a
 * number like the user's own thresholds, so the alert rules read both alike.
 */
const thresholdRule = vine.createRule(
  (value, options: { min: number; minExclusive: boolean; max: number }, field) => {
    let n: number | undefined
    if (typeof value === 'number' && Number.isFinite(value)) n = value
    else if (typeof value === 'string' && DECIMAL_NUMBER.test(value)) n = Number(value)
    if (n === undefined) {
      field.report('The {{ field }} field must be a number or a decimal string', 'threshold', field)
      return
    }
    const aboveMin = options.minExclusive ? n > options.min : n >= options.min
    if (!aboveMin || n > options.max) {
      const low = options.minExclusive ? `more than ${options.min}` : `at least ${options.min}`
      field.report(
        `The {{ field }} field must be ${low} and at most ${options.max}`,
        'threshold',
        field
      )
      return
    }
    field.mutate(n, field)
  },
  {
    name: 'threshold',
    toJSONSchema: (schema, options) => {
      const bound = options.minExclusive
        ? { exclusiveMinimum: options.min }
        : { minimum: options.min }
      schema.anyOf = [
        { type: 'number', ...bound, maximum: options.max },
        { type: 'string', pattern: DECIMAL_NUMBER.source },
      ]
      schema.description = `A number or a decimal string, ${options.minExclusive ? 'more than' : 'at least'} ${options.min} and at most ${options.max}; stored as a number.`
    },
  }
)

const threshold = (min: number, max: number, minExclusive = false) =>
  vine.any().use(thresholdRule({ min, max, minExclusive }))

/**
 * A wallet's own preferences; each falls back to the user's. PATCH semantics as
 * PATCH /me: objects merge key by key, arrays replace, null removes the key.
 */
const walletPreferences = vine.object({
  alertThresholds: vine
    .object({
      // 1 would alert only at liquidation: a wallet's threshold is above it
      healthFactor: threshold(1, 10, true).nullable().optional(),
      // as the user's: 0 would alert on every forecast, so the floor is 0.001
      liquidationProbability24h: threshold(0.001, 1).nullable().optional(),
    })
    .nullable()
    .optional(),
  channels: vine.array(vine.enum(CHANNELS)).maxLength(4).distinct().nullable().optional(),
})

const label = () => vine.string().minLength(1).maxLength(64)

/** A field that belongs to one kind of wallet only: with the other kind it is a 422. */
const onlyForKind = vine.createRule(
  (value, { kind }: { kind: 'watched' | 'proven'; what: string }, field) => {
    const other = kind === 'watched' ? 'proven' : 'watched'
    if (value !== undefined && field.parent?.kind === other) {
      field.report(`The {{ field }} field is only for kind ${kind}`, 'onlyForKind', field)
    }
  },
  {
    name: 'onlyForKind',
    toJSONSchema: (schema, { kind, what }) => {
      schema.description = `${what} Required with kind \`${kind}\`; a 422 with the other kind.`
    },
  }
)

/**
 * POST /me/wallets: `{ kind: 'watched', address }` for any address, or
 * `{ kind: 'proven', message, signature }` — a SIWE message with a nonce from
 * GET /auth/nonce, signed by the wallet, checked as sign-in checks it.
 */
export const addWalletValidator = vine.create(
  vine.object({
    kind: vine.enum(['watched', 'proven'] as const),
    address: vine
      .string()
      .regex(WALLET)
      .use(
        onlyForKind({ kind: 'watched', what: 'The wallet to watch (any case; stored lower-case).' })
      )
      .transform((value) => value.toLowerCase())
      .optional()
      .requiredWhen('kind', '=', 'watched'),
    message: vine
      .string()
      .maxLength(4096)
      .use(
        onlyForKind({
          kind: 'proven',
          what: 'A Sign-In with Ethereum (EIP-4361) message naming the wallet, with a nonce from GET /auth/nonce.',
        })
      )
      .optional()
      .requiredWhen('kind', '=', 'proven'),
    signature: vine
      .string()
      .regex(/^0x([0-9a-fA-F]{2})+$/)
      .maxLength(20_000)
      .use(onlyForKind({ kind: 'proven', what: 'The wallet’s signature of `message`.' }))
      .optional()
      .requiredWhen('kind', '=', 'proven'),
    label: label().nullable().optional(),
  })
)

export const updateWalletValidator = vine.create(
  vine.object({
    label: label().nullable().optional(),
    preferences: walletPreferences.optional(),
  })
)
