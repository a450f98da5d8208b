import vine from '@vinejs/vine'
import {
  decimalString,
  isoInstant,
  walletAddress,
  pagination,
  SYMBOL,
  protocolName,
  SIGNED_DECIMAL,
  UNIT_INTERVAL,
} from './rules.js'

export const MAX_BATCH = 1000
const MAX_ASSETS = 64

const asset = vine.object({
  symbol: vine.string().trim().regex(SYMBOL),
  amount: decimalString(),
  valueUsd: decimalString(),
  priceUsd: decimalString().optional(),
  address: vine
    .string()
    .trim()
    .regex(/^0x[0-9a-fA-F]{40}$/)
    .optional(),
  liquidationThreshold: vine.string().trim().regex(UNIT_INTERVAL).optional(),
})

const snapshot = vine.object({
  walletAddress: walletAddress().optional(),
  protocol: protocolName(),
  chainId: vine.number().withoutDecimals().range([1, 2_147_483_647]).optional(),
  healthFactor: decimalString().nullable().optional(),
  collateral: vine.array(asset).maxLength(MAX_ASSETS),
  debt: vine.array(asset).maxLength(MAX_ASSETS),
  metadata: vine.object({}).allowUnknownProperties().optional(),
  snapshotAt: isoInstant(),
})

export const createSnapshotValidator = vine.create(snapshot)

export const createSnapshotBatchValidator = vine.create(
  vine.object({
    snapshots: vine.array(snapshot.clone()).minLength(1).maxLength(MAX_BATCH),
  })
)

/** GET /positions: the latest snapshot per (protocol, chain), optionally of one protocol or chain. */
export const latestPositionsValidator = vine.create(
  vine.object({
    protocol: protocolName().optional(),
    chainId: vine.number().withoutDecimals().range([1, 2_147_483_647]).optional(),
  })
)

export const positionHistoryValidator = vine.create(
  vine.object({
    protocol: protocolName().optional(),
    chainId: vine.number().withoutDecimals().range([1, 2_147_483_647]).optional(),
    from: isoInstant().optional(),
    to: isoInstant().optional(),
    ...pagination,
  })
)

export const simulateValidator = vine.create(
  vine.object({
    protocol: protocolName(),
    chainId: vine.number().withoutDecimals().range([1, 2_147_483_647]).optional(),
    priceChanges: vine.record(vine.string().trim().regex(SIGNED_DECIMAL)),
  })
)

export const snoozeValidator = vine.create(
  vine.object({
    protocol: protocolName(),
    chainId: vine.number().withoutDecimals().range([1, 2_147_483_647]).optional(),
    until: isoInstant(),
  })
)
