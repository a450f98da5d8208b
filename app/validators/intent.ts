import vine from '@vinejs/vine'
import {
  DECIMAL,
  SYMBOL,
  chainId as chainIdField,
  chainIdParam,
  isoInstant,
  jsonNumber,
  pagination,
  protocolName,
  walletChoice,
  walletFilter,
} from './rules.js'

const OPERATORS = ['lt', 'lte', 'gt', 'gte'] as const
const ACTIONS = ['repay', 'supply', 'withdraw', 'notify'] as const
/** "max", or a positive decimal: "0" or "0.000" would prepare a transaction that does nothing. */
const AMOUNT = /^(max|(?!0+(\.0+)?$)(0|[1-9]\d{0,59})(\.\d{1,36})?)$/

/** Not blank, and no leading or trailing whitespace: taken as sent, never trimmed. */
const NAME = /^\S(?:[\s\S]*\S)?$/
const FUTURE = 'In the future (422 otherwise); null: never expires.'
const name = vine.string().minLength(1).maxLength(120).regex(NAME)
const cooldownSeconds = jsonNumber()
  .withoutDecimals()
  .range([0, 30 * 24 * 3600])
const maxExecutions = jsonNumber().withoutDecimals().range([1, 1_000_000])
const action = vine.object({
  type: vine.enum(ACTIONS),
  asset: vine.string().regex(SYMBOL).toUpperCase(),
  amount: vine.string().maxLength(100).regex(AMOUNT),
})

export const createIntentValidator = vine.create(
  vine.object({
    walletAddress: walletChoice(
      'The wallet the intent acts for (any case): one of the caller’s proven wallets; left out, ' +
        'the sign-in wallet. A watched wallet is a 422 `E_WALLET_WATCHED` on `walletAddress` (no ' +
        'transaction is prepared for a wallet the caller has not proven it controls); a wallet not ' +
        'on the caller’s list is a 422 on `walletAddress`. It cannot be changed afterwards.'
    ).optional(),
    name: name.clone().optional(),
    protocol: protocolName(),
    chainId: chainIdField(),
    condition: vine.object({
      metric: vine.enum(['health_factor'] as const),
      operator: vine.enum(OPERATORS),
      value: vine.string().regex(DECIMAL).maxLength(60),
    }),
    action: action.clone(),
    cooldownSeconds: cooldownSeconds.clone().optional(),
    maxExecutions: maxExecutions.clone().nullable().optional(),
    expiresAt: isoInstant(FUTURE).nullable().optional(),
  })
)

export const updateIntentValidator = vine.create(
  vine.object({
    name: name.clone().nullable().optional(),
    /** Pause and resume; cancelling is DELETE. */
    status: vine.enum(['active', 'paused'] as const).optional(),
    /** Where and what it acts on: checked again as a whole, as on create. */
    protocol: protocolName().optional(),
    chainId: chainIdField().optional(),
    action: action.clone().optional(),
    cooldownSeconds: cooldownSeconds.clone().optional(),
    maxExecutions: maxExecutions.clone().nullable().optional(),
    expiresAt: isoInstant(FUTURE).nullable().optional(),
  })
)

export const listIntentsValidator = vine.create(
  vine.object({
    status: vine
      .enum(['active', 'paused', 'triggered', 'cancelled', 'expired'] as const)
      .optional(),
    protocol: protocolName().optional(),
    chainId: chainIdParam().optional(),
    walletAddress: walletFilter('the intents acting for this wallet of the caller’s').optional(),
    ...pagination,
  })
)

export const listExecutionsValidator = vine.create(vine.object({ ...pagination }))
