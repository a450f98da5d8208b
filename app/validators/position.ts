import vine from '@vinejs/vine'
import {
  chainId,
  chainIdParam,
  decimalString,
  defaultValue,
  isoInstant,
  walletAddress,
  pagination,
  SYMBOL,
  protocolName,
  SIGNED_DECIMAL,
  UNIT_INTERVAL,
  WALLET,
  walletChoice,
  walletFilter,
} from './rules.js'

export const MAX_BATCH = 1000
const MAX_ASSETS = 64

const asset = vine.object({
  symbol: vine.string().regex(SYMBOL),
  amount: decimalString(),
  valueUsd: decimalString(),
  priceUsd: decimalString().optional(),
  address: vine
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/)
    .optional(),
  liquidationThreshold: vine.string().regex(UNIT_INTERVAL).optional(),
})

/** Who is calling, passed by the controller: the wallet rule depends on it. */
export interface IngestMeta {
  caller: 'user' | 'service'
}

/*
 * A service has no wallet of its own: it must say whose snapshot this is. A
 * user may leave it out (their own wallet) and may only name their own (403).
 * The document states it on the field (the schema cannot see the token).
 */
const walletOfService = vine.createRule(
  (value, _options, field) => {
    if (value === undefined && (field.meta as Partial<IngestMeta>).caller === 'service') {
      field.report('The {{ field }} field is required for a service token', 'walletRequired', field)
    }
  },
  {
    name: 'walletOfService',
    implicit: true,
    toJSONSchema: (schema) =>
      void (schema.description =
        'Whose position this is. Required when the caller is a service token (422 otherwise); a user may leave it out (their own wallet) and may only name their own (403 E_FORBIDDEN_WALLET otherwise).'),
  }
)

const snapshotFields = {
  protocol: protocolName(),
  chainId: chainId().use(defaultValue(1)).optional(),
  healthFactor: decimalString().nullable().optional(),
  collateral: vine.array(asset).maxLength(MAX_ASSETS),
  debt: vine.array(asset).maxLength(MAX_ASSETS),
  metadata: vine.object({}).allowUnknownProperties().optional(),
  snapshotAt: isoInstant(
    'At most 5 minutes ahead of the server’s clock (422 E_SNAPSHOT_IN_FUTURE otherwise).'
  ),
}

export const createSnapshotValidator = vine.create(
  vine.object({
    walletAddress: vine
      .string()
      .regex(WALLET)
      .use(walletOfService())
      .transform((value) => value.toLowerCase())
      .optional(),
    ...snapshotFields,
  })
)

/** Only services write batches: every snapshot names its wallet. */
export const createSnapshotBatchValidator = vine.create(
  vine.object({
    snapshots: vine
      .array(vine.object({ walletAddress: walletAddress(), ...snapshotFields }))
      .minLength(1)
      .maxLength(MAX_BATCH),
  })
)

/** GET /positions: the latest snapshot per (protocol, chain), optionally of one protocol or chain. */
export const latestPositionsValidator = vine.create(
  vine.object({
    protocol: protocolName().optional(),
    chainId: chainIdParam().optional(),
    walletAddress: walletFilter('the positions this wallet of the caller’s holds').optional(),
  })
)

export const positionHistoryValidator = vine.create(
  vine.object({
    protocol: protocolName().optional(),
    chainId: chainIdParam().optional(),
    walletAddress: walletFilter('the snapshots of this wallet of the caller’s').optional(),
    from: isoInstant().optional(),
    to: isoInstant().optional(),
    ...pagination,
  })
)

/** Which wallet's position a body means, when the same (protocol, chain) is held by several. */
const WHICH_WALLET =
  'Which of the caller’s wallets holds the position (any case). Left out: the one wallet holding ' +
  'that protocol and chain; if several do, 422 on `walletAddress` naming them. A wallet that is ' +
  'not on the caller’s list is a 404, like an unknown position.'

export const simulateValidator = vine.create(
  vine.object({
    protocol: protocolName(),
    chainId: chainId().use(defaultValue(1)).optional(),
    walletAddress: walletChoice(WHICH_WALLET).optional(),
    priceChanges: vine.record(vine.string().regex(SIGNED_DECIMAL)),
  })
)

export const snoozeValidator = vine.create(
  vine.object({
    protocol: protocolName(),
    chainId: chainId().use(defaultValue(1)).optional(),
    walletAddress: walletChoice(
      `${WHICH_WALLET} When no wallet holds it, the sign-in wallet’s. Sent, it is answered back.`
    ).optional(),
    until: isoInstant(
      'At most 90 days ahead (422 otherwise); an instant in the past lifts the snooze.'
    ),
  })
)
