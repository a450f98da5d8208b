import vine from '@vinejs/vine'
import { CHANNELS } from '#domain/users/preferences'
import { cursor, pagination, walletFilter } from './rules.js'

export const listAlertsValidator = vine.create(
  vine.object({
    status: vine.enum(['pending', 'sent', 'failed', 'acknowledged'] as const).optional(),
    channel: vine.enum(CHANNELS).optional(),
    severity: vine.enum(['low', 'medium', 'high', 'critical'] as const).optional(),
    walletAddress: walletFilter(
      'the alerts about the positions of this wallet of the caller’s'
    ).optional(),
    ...pagination,
  })
)

/** `Last-Event-ID` for clients that cannot set headers (a plain EventSource reconnecting by hand). */
export const streamAlertsValidator = vine.create(vine.object({ lastEventId: cursor().optional() }))
