import vine from '@vinejs/vine'
import { IANAZone } from 'luxon'
import app from '@adonisjs/core/services/app'
import { CHANNELS, RISK_PROFILES } from '#domain/users/preferences'
import { LOWER_SNAKE, SYMBOL } from './rules.js'

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/

const ianaZone = vine.createRule(
  (value, _options, field) => {
    if (typeof value === 'string' && !IANAZone.isValidZone(value)) {
      field.report(
        'The {{ field }} field must be an IANA time zone such as Europe/Paris',
        'timezone',
        field
      )
    }
  },
  {
    name: 'ianaZone',
    toJSONSchema: (schema) => void (schema.description = 'An IANA time zone, e.g. Europe/Paris'),
  }
)

/** Only https in production: alerts carry position data. */
const webhookUrl = vine
  .string()
  .maxLength(2048)
  .url({ require_protocol: true, protocols: app.inProduction ? ['https'] : ['https', 'http'] })

// Every field may be null in a PATCH: null removes the user's choice (back to the default).
const preferences = vine.object({
  riskProfile: vine.enum(RISK_PROFILES).nullable().optional(),
  alertThresholds: vine
    .object({
      healthFactor: vine.number({ strict: true }).range([1, 10]).nullable().optional(),
      // a probability; 0 would alert on every forecast, so the floor is 0.001 (0.1 %)
      liquidationProbability24h: vine
        .number({ strict: true })
        .range([0.001, 1])
        .nullable()
        .optional(),
    })
    .nullable()
    .optional(),
  activeSignals: vine
    .array(vine.string().regex(LOWER_SNAKE))
    .maxLength(50)
    .distinct()
    .nullable()
    .optional(),
  notificationChannels: vine
    .array(vine.enum(CHANNELS))
    .maxLength(4)
    .distinct()
    .nullable()
    .optional(),
  watchAssets: vine
    .array(vine.string().regex(SYMBOL).toUpperCase())
    .maxLength(100)
    .distinct()
    .nullable()
    .optional(),
  timezone: vine.string().maxLength(64).use(ianaZone()).nullable().optional(),
  quietHours: vine
    .object({ start: vine.string().regex(HH_MM), end: vine.string().regex(HH_MM) })
    .nullable()
    .optional(),
  digest: vine
    .enum(['off', 'daily'] as const)
    .nullable()
    .optional(),
  webhookUrl: webhookUrl.nullable().optional(),
})

export const updateMeValidator = vine.create(
  vine.object({
    email: vine
      .string()
      .maxLength(254)
      .email()
      // one @, no whitespace (the column's check): email() also takes quoted local
      // parts ("a b"@x, "a@b"@x), which the insert then refused with a 500
      .regex(/^[^@\s]+@[^@\s]+$/)
      .toLowerCase()
      .nullable()
      .optional(),
    preferences: preferences.optional(),
  })
)
