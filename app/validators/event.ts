import vine from '@vinejs/vine'
import { cursor, isoInstant, walletFilter } from './rules.js'

export const listEventsValidator = vine.create(
  vine.object({
    type: vine
      .string()
      .regex(/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/)
      .optional(),
    aggregateType: vine.enum(['user', 'wallet', 'position', 'alert', 'intent'] as const).optional(),
    walletAddress: walletFilter(
      'the events of this wallet’s positions, of the alerts about them and of the intents acting for it (no `user` events)'
    ).optional(),
    limit: vine.number().withoutDecimals().range([1, 200]).optional(),
    after: cursor().optional(),
  })
)

export const stateAtValidator = vine.create(
  vine.object({
    at: isoInstant().optional(),
    walletAddress: walletFilter(
      'the positions, open alerts and active intents of this wallet of the caller’s'
    ).optional(),
  })
)
