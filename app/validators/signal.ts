import vine from '@vinejs/vine'
import { isoInstant, LOWER_SNAKE, SYMBOL, pagination } from './rules.js'

const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const

export const createSignalValidator = vine.create(
  vine.object({
    type: vine.string().regex(LOWER_SNAKE),
    asset: vine.string().regex(SYMBOL).toUpperCase(),
    severity: vine.enum(SEVERITIES),
    data: vine.object({}).allowUnknownProperties().optional(),
    detectedAt: isoInstant(),
    expiresAt: isoInstant('After detectedAt (422 otherwise).').optional(),
  })
)

export const listSignalsValidator = vine.create(
  vine.object({
    status: vine.enum(['active', 'expired', 'acknowledged', 'all'] as const).optional(),
    type: vine.string().regex(LOWER_SNAKE).optional(),
    asset: vine.string().regex(SYMBOL).toUpperCase().optional(),
    severity: vine.enum(SEVERITIES).optional(),
    ...pagination,
  })
)
