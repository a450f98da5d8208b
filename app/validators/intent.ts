import vine from '@vinejs/vine'
import { DECIMAL, SYMBOL, isoInstant, pagination, protocolName } from './rules.js'

const OPERATORS = ['lt', 'lte', 'gt', 'gte'] as const
const ACTIONS = ['repay', 'supply', 'withdraw', 'notify'] as const
/** "max", or a positive decimal: "0" or "0.000" would prepare a transaction that does nothing. */
const AMOUNT = /^(max|(?!0+(\.0+)?$)(0|[1-9]\d{0,59})(\.\d{1,36})?)$/

const name = vine.string().trim().minLength(1).maxLength(120)
const cooldownSeconds = vine
  .number()
  .withoutDecimals()
  .range([0, 30 * 24 * 3600])
const maxExecutions = vine.number().withoutDecimals().range([1, 1_000_000])
const chainId = vine.number().withoutDecimals().range([1, 2_147_483_647])
const action = vine.object({
  type: vine.enum(ACTIONS),
  asset: vine.string().trim().regex(SYMBOL).toUpperCase(),
  amount: vine.string().trim().maxLength(100).regex(AMOUNT),
})

export const createIntentValidator = vine.create(
  vine.object({
    name: name.clone().optional(),
    protocol: protocolName(),
    chainId: chainId.clone(),
    condition: vine.object({
      metric: vine.enum(['health_factor'] as const),
      operator: vine.enum(OPERATORS),
      value: vine.string().trim().regex(DECIMAL).maxLength(60),
    }),
    action: action.clone(),
    cooldownSeconds: cooldownSeconds.clone().optional(),
    maxExecutions: maxExecutions.clone().nullable().optional(),
    expiresAt: isoInstant().nullable().optional(),
  })
)

export const updateIntentValidator = vine.create(
  vine.object({
    name: name.clone().nullable().optional(),
    /** Pause and resume; cancelling is DELETE. */
    status: vine.enum(['active', 'paused'] as const).optional(),
    /** Where and what it acts on: checked again as a whole, as on create. */
    protocol: protocolName().optional(),
    chainId: chainId.clone().optional(),
    action: action.clone().optional(),
    cooldownSeconds: cooldownSeconds.clone().optional(),
    maxExecutions: maxExecutions.clone().nullable().optional(),
    expiresAt: isoInstant().nullable().optional(),
  })
)

export const listIntentsValidator = vine.create(
  vine.object({
    status: vine
      .enum(['active', 'paused', 'triggered', 'cancelled', 'expired'] as const)
      .optional(),
    protocol: protocolName().optional(),
    chainId: chainId.clone().optional(),
    ...pagination,
  })
)

export const listExecutionsValidator = vine.create(vine.object({ ...pagination }))
