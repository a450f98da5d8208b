import vine from '@vinejs/vine'
import { cursor, isoInstant } from './rules.js'

export const listEventsValidator = vine.create(
  vine.object({
    type: vine
      .string()
      .regex(/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/)
      .optional(),
    aggregateType: vine.enum(['user', 'wallet', 'position', 'alert', 'intent'] as const).optional(),
    limit: vine.number().withoutDecimals().range([1, 200]).optional(),
    after: cursor().optional(),
  })
)

export const stateAtValidator = vine.create(vine.object({ at: isoInstant().optional() }))
