import db from '@adonisjs/lucid/services/db'
import type { DateTime } from 'luxon'
import { parse as parseUuid, v5 as uuidv5 } from 'uuid'
import { computeHealthFactor, healthFactorsDiffer } from '#domain/positions/health_factor'
import {
  declaredThresholds,
  metadataRatioProblems,
  unknownThresholdProblems,
} from '#domain/positions/thresholds'
import type { Asset } from '#domain/positions/types'
import { DomainError, DomainErrors } from '#domain/shared/errors'
import eventRecorder, { type NewEvent } from '#services/events/event_recorder'
import { evaluateHealthFactorAlerts } from '#services/alerts/health_factor_alerts'
import { evaluateIntents } from '#services/intents/evaluate_intents'
import {
  lockHoldersOfWallets,
  OwnersChangedError,
  type WalletHolder,
  insertSnapshots,
  type SnapshotRow,
} from '#infrastructure/database/queries/snapshots'
import { recordPricesOfSnapshots } from '#infrastructure/database/queries/price_history'
import type { PositionRow } from '#infrastructure/database/queries/latest_positions'

export interface SnapshotInput {
  walletAddress?: string
  protocol: string
  chainId?: number
  healthFactor?: string | null
  collateral: Asset[]
  debt: Asset[]
  metadata?: Record<string, unknown>
  snapshotAt: DateTime
}

/**
 * Who is ingesting: a user for their own wallets (the sign-in one when the
 * snapshot names none), or a service for any wallet. A service ingest creates
 * a user for a wallet nobody holds — except with `listedOnly` (chain sync,
 * which reads only listed wallets): a snapshot of a wallet taken off every
 * list meanwhile is dropped, rather than giving it a ghost account that
 * would then be read forever (docs/adr/0014).
 */
export type Ingestor =
  | { kind: 'user'; userId: string; walletAddress: string }
  | { kind: 'service'; listedOnly?: boolean }

export interface RecordedSnapshot {
  id: string
  userId: string
  protocol: string
  chainId: number
  snapshotAt: string
  /** false when the same snapshot had been recorded before (a retry). */
  created: boolean
  /** The stored row, with `returnRows`. */
  row?: PositionRow
}

/**
 * What runs after the snapshots are stored. Always on in the product; the
 * benchmarks switch the health-factor rule and the price history off to
 * measure what each costs.
 */
export const ingestHooks = { healthFactorAlerts: true, priceHistory: true }

/** Snapshots taken more than this far in the future are clock errors, not data. */
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000

// Namespace for the stable id of a position stream (user, wallet, protocol,
// chain): the event store aggregate of its snapshots.
// Both passed as bytes: given strings, uuid parses the namespace twice and
// re-encodes the name on every call (4 ms of a 1,000-snapshot batch).
const POSITION_STREAM_NAMESPACE = parseUuid('6f1d2c7e-3f64-4b8e-9a51-2d8f0c6b7a10')
/**
 * `wallet` is left out for the user's sign-in wallet: its streams keep the ids
 * they had when a user had one wallet (the event store is append-only).
 */
export function positionStreamId(
  userId: string,
  protocol: string,
  chainId: number,
  wallet?: string
) {
  const name = wallet
    ? `${userId}:${wallet}:${protocol}:${chainId}`
    : `${userId}:${protocol}:${chainId}`
  return uuidv5(Buffer.from(name), POSITION_STREAM_NAMESPACE)
}

/**
 * Stores one or many snapshots — all or nothing, in one transaction — with
 * their health factor, their `position.snapshot_recorded` events, and whatever
 * the hooks derive from them (alerts, intent executions).
 */
export async function recordSnapshots(
  ingestor: Ingestor,
  inputs: SnapshotInput[],
  options: { returnRows?: boolean } = {}
): Promise<RecordedSnapshot[]> {
  const now = Date.now()
  // every bad item of a batch is reported, not only the first (as the validator does)
  const problems: DomainError[] = []
  inputs.forEach((input, index) => {
    if (input.snapshotAt.toMillis() > now + MAX_CLOCK_SKEW_MS) {
      problems.push(
        new DomainError(
          'E_SNAPSHOT_IN_FUTURE',
          'A snapshot cannot be taken in the future',
          inputs.length > 1 ? `snapshots.${index}.snapshotAt` : 'snapshotAt'
        )
      )
    }
    const path = inputs.length > 1 ? `snapshots.${index}.` : ''
    problems.push(...metadataRatioProblems(input.metadata, path))
    if (!problems.some((p) => p.field?.startsWith(`${path}metadata.`))) {
      problems.push(...unknownThresholdProblems(input, path))
    }
    if (ingestor.kind === 'service' && !input.walletAddress) {
      problems.push(
        new DomainError(
          'E_VALIDATION_ERROR',
          'The walletAddress field must be defined',
          inputs.length > 1 ? `snapshots.${index}.walletAddress` : 'walletAddress'
        )
      )
    }
  })
  if (problems.length === 1) throw problems[0]
  if (problems.length > 1) throw new DomainErrors(problems as [DomainError, ...DomainError[]])

  // Two ingests touching the same position stream at once race for its next
  // event version; the loser retries on fresh state (its snapshots may then be
  // answered as already recorded).
  for (let attempt = 1; ; attempt++) {
    try {
      return await ingest(ingestor, inputs, options)
    } catch (error) {
      // a deadlock cannot happen given the lock order below; retrying is the safety net
      const deadlock = (error as { code?: string }).code === '40P01'
      const conflict = error instanceof DomainError && error.code === 'E_VERSION_CONFLICT'
      // a wallet proven by another user while this one created a user for it
      const ownersChanged =
        error instanceof OwnersChangedError ||
        (error as { constraint?: string }).constraint === 'user_wallets_proven_address_unique'
      if (!(conflict || deadlock || ownersChanged) || attempt >= 3) throw error
    }
  }
}

function ingest(
  ingestor: Ingestor,
  inputs: SnapshotInput[],
  options: { returnRows?: boolean }
): Promise<RecordedSnapshot[]> {
  return db.transaction(async (trx) => {
    const registrations: NewEvent[] = []
    // The holders are locked first, in id order: concurrent ingests for one user
    // queue here instead of deadlocking later on event versions or alert state,
    // and the health-factor rule reads a state nobody else is writing.
    let holders: Map<string, WalletHolder[]>
    if (ingestor.kind === 'user') {
      const { rows: own } = await trx.rawQuery(
        `select w.address from users u join user_wallets w on w.user_id = u.id and w.kind = 'proven'
          where u.id = ? for update of u`,
        [ingestor.userId]
      )
      const holder = {
        userId: ingestor.userId,
        kind: 'proven' as const,
        signInWallet: ingestor.walletAddress,
      }
      holders = new Map(own.map((r: { address: string }) => [r.address, [holder]]))
      for (const input of inputs) {
        if (input.walletAddress && !holders.has(input.walletAddress)) {
          // A user records snapshots of their own proven wallets only; naming another
          // is refused without saying whether that wallet is known.
          throw new DomainError(
            'E_FORBIDDEN_WALLET',
            'You can only record snapshots of your own wallets',
            'walletAddress'
          )
        }
      }
    } else {
      const locked = await lockHoldersOfWallets(
        trx,
        inputs.map((i) => i.walletAddress!),
        { createMissing: !ingestor.listedOnly }
      )
      holders = locked.holders
      for (const wallet of locked.created) {
        registrations.push({
          aggregateType: 'user',
          aggregateId: holders.get(wallet)![0].userId,
          eventType: 'user.registered',
          payload: { walletAddress: wallet, via: 'ingest' },
        })
      }
    }

    // The collateral with the thresholds its health factor is computed with:
    // the assets' own, else the position's metadata.liquidationThreshold.
    // A service's snapshot is public chain data: every holder of the wallet gets
    // it, its owner first. A user's own ingest stays theirs (docs/adr/0014).
    const thresholds: Asset[][] = []
    const rows: SnapshotRow[] = []
    // which input each row came from; each user's sign-in wallet
    const inputOf: number[] = []
    const signInWallets = new Map<string, string>()
    inputs.forEach((input, index) => {
      const wallet = input.walletAddress ?? (ingestor.kind === 'user' ? ingestor.walletAddress : '')
      thresholds[index] = declaredThresholds(input.collateral, input.metadata).collateral
      const computed = computeHealthFactor(thresholds[index], input.debt, input.protocol)
      const metadata = { ...input.metadata }
      let healthFactor = computed
      if (input.healthFactor !== undefined) {
        // The indexer's figure is the one its protocol enforces; ours is kept
        // beside it when they disagree, as a data-quality signal.
        healthFactor = input.healthFactor
        const disagree =
          (input.healthFactor === null) !== (computed === null) ||
          (input.healthFactor !== null &&
            computed !== null &&
            healthFactorsDiffer(input.healthFactor, computed))
        if (disagree) metadata.computedHealthFactor = computed
      }
      // no holder: a listedOnly ingest's wallet that left every list
      for (const holder of holders.get(wallet) ?? []) {
        inputOf.push(index)
        signInWallets.set(holder.userId, holder.signInWallet)
        rows.push({
          userId: holder.userId,
          walletAddress: wallet,
          protocol: input.protocol,
          chainId: input.chainId ?? 1,
          healthFactor,
          collateral: input.collateral,
          debt: input.debt,
          metadata,
          snapshotAt: input.snapshotAt.toUTC().toISO()!,
        })
      }
    })

    const stored = await insertSnapshots(trx, rows, options)
    const fresh = stored.filter((key) => key.created)
    const created = fresh.map((key) => ({ id: key.id, ...rows[key.ord] }))
    // the prices the new snapshots carry feed the liquidation-probability model (ADR 0013)
    if (ingestHooks.priceHistory) await recordPricesOfSnapshots(trx, created)
    // The alert's liquidation price needs the thresholds the health factor was computed with.
    const evaluated = fresh.map((key, i) => ({
      ...created[i],
      collateral: thresholds[inputOf[key.ord]],
    }))
    await eventRecorder.appendMany(trx, registrations)
    await eventRecorder.appendUniform(trx, {
      aggregateType: 'position',
      eventType: 'position.snapshot_recorded',
      rows: created,
      aggregateId: (row) =>
        positionStreamId(
          row.userId,
          row.protocol,
          row.chainId,
          row.walletAddress === signInWallets.get(row.userId) ? undefined : row.walletAddress
        ),
      payload: {
        snapshotId: (row) => row.id,
        userId: (row) => row.userId,
        walletAddress: (row) => row.walletAddress,
        protocol: (row) => row.protocol,
        chainId: (row) => row.chainId,
        healthFactor: (row) => row.healthFactor,
        snapshotAt: (row) => row.snapshotAt,
      },
    })
    if (ingestHooks.healthFactorAlerts) await evaluateHealthFactorAlerts(trx, evaluated)
    await evaluateIntents(trx, created)

    // One answer per input: its first row (the owner's, when the wallet has watchers).
    const answered = stored.filter(
      (key) => key.ord === 0 || inputOf[key.ord - 1] !== inputOf[key.ord]
    )
    return answered.map((key) => {
      const row = rows[key.ord]
      return {
        id: key.id,
        userId: row.userId,
        protocol: row.protocol,
        chainId: row.chainId,
        snapshotAt: row.snapshotAt,
        created: key.created,
        ...(key.row ? { row: key.row } : {}),
      }
    })
  })
}
