import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { Hex } from 'viem'
import walletsConfig from '#config/wallets'
import { DomainError, NotFoundError } from '#domain/shared/errors'
import { deepMerge, diffPreferences } from '#domain/users/preferences'
import { UserWallet } from '#models'
import type { WalletPreferences } from '#models/user_wallet'
import eventRecorder from '#services/events/event_recorder'
import { consumeNonce } from '#services/auth/nonces'
import { checkSignedMessage, type ProvenMessage } from '#services/auth/sign_in_with_ethereum'

/*
 * The wallets on a user's list (docs/adr/0014): list, add (watched, or proven
 * by a SIWE signature), label and preferences, remove. Every change locks the
 * user's row first, so one user's concurrent changes run one after the other
 * (the limit is counted under that lock).
 */

export type AddWalletInput =
  | { kind: 'watched'; address: string; label?: string | null }
  | { kind: 'proven'; message: string; signature: string; label?: string | null }

export interface WalletPatch {
  label?: string | null
  preferences?: Record<string, unknown>
}

export interface RemovedWallet {
  intentsCancelled: number
  alertsFailed: number
  snapshotsDeleted: number
}

const PROVEN_UNIQUE = 'user_wallets_proven_address_unique'
const USER_ADDRESS_UNIQUE = 'user_wallets_user_address_unique'
export const WALLET_REMOVED_ERROR = 'wallet removed'

/** The user's sign-in wallet first, then the others in the order they were added. */
export function listWallets(userId: string): Promise<UserWallet[]> {
  return UserWallet.query()
    .where('user_id', userId)
    .orderByRaw(
      `(address = (select wallet_address from users where id = user_wallets.user_id)) desc`
    )
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc')
}

export async function findWallet(userId: string, id: string): Promise<UserWallet> {
  const wallet = await UserWallet.query().where({ id, user_id: userId }).first()
  if (!wallet) throw new NotFoundError('wallet')
  return wallet
}

/**
 * Locks the user's row: their wallet changes are serialized. `no key update`:
 * rows referencing the user (snapshots, alerts) are written meanwhile, their
 * foreign-key checks do not wait. Returns the sign-in wallet.
 */
async function lockUser(trx: TransactionClientContract, userId: string): Promise<string> {
  const { rows } = await trx.rawQuery(
    'select wallet_address from users where id = ? for no key update',
    [userId]
  )
  if (rows.length === 0) throw new NotFoundError('user')
  return rows[0].wallet_address
}

async function checkRoomForOneMore(trx: TransactionClientContract, userId: string) {
  const { rows } = await trx.rawQuery(
    'select count(*)::int as n from user_wallets where user_id = ?',
    [userId]
  )
  const max = walletsConfig.perUserMax
  if (rows[0].n >= max) {
    throw new DomainError(
      'E_WALLET_LIMIT',
      `A user may list at most ${max} wallets (proven and watched, the sign-in wallet included); remove one first`,
      undefined,
      { max }
    )
  }
}

/**
 * A SIWE failure on this route is about the proof, not about the caller's
 * token: it keeps its reason but not sign-in's 401 (a client would sign out).
 * E_SIWE_NONCE becomes E_WALLET_PROOF_NONCE, a 422 on the field at fault.
 */
function asProofError(error: unknown): unknown {
  if (!(error instanceof DomainError) || !error.code.startsWith('E_SIWE_')) return error
  const reason = error.code.slice('E_SIWE_'.length)
  const field = ['SIGNATURE', 'CONTRACT_WALLET_UNSUPPORTED'].includes(reason)
    ? 'signature'
    : 'message'
  return new DomainError(`E_WALLET_PROOF_${reason}`, error.message, field)
}

async function checkProof(message: string, signature: string): Promise<ProvenMessage> {
  try {
    return await checkSignedMessage(message, signature as Hex)
  } catch (error) {
    throw asProofError(error)
  }
}

/** A unique key that a concurrent add (another user's proof, or this user's) won first. */
function translateUniqueViolation(error: unknown): unknown {
  const pg = error as { code?: string; constraint?: string }
  if (pg.code !== '23505') return error
  if (pg.constraint === PROVEN_UNIQUE) return walletTaken()
  if (pg.constraint === USER_ADDRESS_UNIQUE) return walletExists()
  return error
}

const walletTaken = () =>
  new DomainError('E_WALLET_TAKEN', 'This wallet is proven by another account', 'address')
const walletExists = () =>
  new DomainError('E_WALLET_EXISTS', 'This wallet is already on your list', 'address')

export interface AddedWallet {
  wallet: UserWallet
  /** A watched wallet of the user's that this proof made proven (same id and label). */
  upgraded: boolean
}

export async function addWallet(userId: string, input: AddWalletInput): Promise<AddedWallet> {
  const proven = input.kind === 'proven' ? await checkProof(input.message, input.signature) : null
  const address = proven ? proven.address : (input as { address: string }).address.toLowerCase()
  try {
    return await db.transaction(async (trx) => {
      if (proven && !(await consumeNonce(trx, proven.checked.nonce))) {
        throw new DomainError(
          'E_WALLET_PROOF_NONCE',
          'The nonce is unknown, expired or already used; ask for a new one',
          'message'
        )
      }
      await lockUser(trx, userId)
      const existing = await UserWallet.query({ client: trx })
        .where({ user_id: userId, address })
        .forUpdate()
        .first()

      if (proven) {
        const { rows: owners } = await trx.rawQuery(
          `select user_id from user_wallets where address = ? and kind = 'proven'`,
          [address]
        )
        if (owners.length && owners[0].user_id !== userId) throw walletTaken()
        if (existing?.kind === 'proven') throw walletExists()
        if (existing) {
          // watched -> proven: the same entry (id, label, preferences), now the user's own
          const changes = {
            kind: { from: existing.kind, to: 'proven' },
            proof: { from: existing.proof, to: proven.proof },
            ...(input.label !== undefined && input.label !== existing.label
              ? { label: { from: existing.label, to: input.label } }
              : {}),
          }
          existing.merge({
            kind: 'proven',
            proof: proven.proof,
            ...(input.label !== undefined ? { label: input.label } : {}),
          })
          await existing.useTransaction(trx).save()
          await eventRecorder.append(trx, {
            aggregateType: 'wallet',
            aggregateId: existing.id,
            eventType: 'wallet.updated',
            payload: { userId, address, changes },
          })
          return { wallet: existing, upgraded: true }
        }
      } else if (existing) {
        throw walletExists()
      }

      await checkRoomForOneMore(trx, userId)
      const wallet = await UserWallet.create(
        {
          userId,
          address,
          kind: input.kind,
          proof: proven ? proven.proof : null,
          label: input.label ?? null,
          preferences: {},
        },
        { client: trx }
      )
      await eventRecorder.append(trx, {
        aggregateType: 'wallet',
        aggregateId: wallet.id,
        eventType: 'wallet.added',
        payload: {
          userId,
          address,
          kind: wallet.kind,
          proof: wallet.proof,
          label: wallet.label,
          ...(proven ? { chainId: proven.checked.chainId } : {}),
        },
      })
      return { wallet, upgraded: false }
    })
  } catch (error) {
    throw translateUniqueViolation(error)
  }
}

/** Label and preferences (deep-merged as PATCH /me merges the user's; null removes a key). */
export async function updateWallet(
  userId: string,
  id: string,
  patch: WalletPatch
): Promise<UserWallet> {
  return db.transaction(async (trx) => {
    await lockUser(trx, userId)
    const wallet = await UserWallet.query({ client: trx })
      .where({ id, user_id: userId })
      .forUpdate()
      .first()
    if (!wallet) throw new NotFoundError('wallet')

    const before = { label: wallet.label, preferences: wallet.preferences }
    const after = {
      label: patch.label === undefined ? wallet.label : patch.label,
      preferences: patch.preferences
        ? deepMerge<WalletPreferences>(wallet.preferences, patch.preferences)
        : wallet.preferences,
    }
    const changes = diffPreferences(before, after)
    if (changes.length === 0) return wallet

    wallet.merge(after)
    await wallet.useTransaction(trx).save()
    await eventRecorder.append(trx, {
      aggregateType: 'wallet',
      aggregateId: wallet.id,
      eventType: 'wallet.updated',
      payload: { userId, address: wallet.address, changes },
    })
    return wallet
  })
}

/**
 * Removes a wallet from the user's list, and with it, in one transaction, what
 * kept it alive (docs/adr/0014 §4): its position heads, rule states and
 * snoozes (fan-out and the rules stop at once), the user's active and paused
 * intents for it (cancelled, as DELETE /intents/:id cancels), its undelivered
 * alerts (failed, "wallet removed"), and — for a watched wallet — the copies
 * of its snapshots (a proven wallet's stay in the user's history).
 * The sign-in wallet cannot be removed.
 */
export async function removeWallet(userId: string, id: string): Promise<RemovedWallet> {
  return db.transaction(async (trx) => {
    const signIn = await lockUser(trx, userId)
    const wallet = await UserWallet.query({ client: trx })
      .where({ id, user_id: userId })
      .forUpdate()
      .first()
    if (!wallet) throw new NotFoundError('wallet')
    if (wallet.address === signIn || wallet.proof === 'sign_in') {
      throw new DomainError(
        'E_WALLET_SIGN_IN',
        'The wallet you sign in with cannot be removed from your list'
      )
    }
    const key = [userId, wallet.address]

    await wallet.useTransaction(trx).delete()
    for (const table of [
      'position_heads',
      'health_factor_alert_state',
      'liquidation_probability_alert_state',
      'position_snoozes',
    ]) {
      await trx.rawQuery(`delete from ${table} where user_id = ? and wallet_address = ?`, key)
    }

    const { rows: intents } = await trx.rawQuery(
      `with target as (
         select id, status from intents
          where user_id = ? and wallet_address = ? and status in ('active', 'paused')
            and deleted_at is null
          for update
       )
       update intents i set status = 'cancelled', deleted_at = now(), updated_at = now()
         from target t where i.id = t.id
       returning i.id, t.status as from_status`,
      key
    )
    const { rows: alerts } = await trx.rawQuery(
      `update alerts
          set status = 'failed', last_error = ?, claimed_until = null, updated_at = clock_timestamp()
        where user_id = ? and wallet_address = ? and status = 'pending'
        returning id, channel, attempts`,
      [WALLET_REMOVED_ERROR, ...key]
    )
    let snapshotsDeleted = 0
    if (wallet.kind === 'watched') {
      const deleted = await trx.rawQuery(
        'delete from positions where user_id = ? and wallet_address = ?',
        key
      )
      snapshotsDeleted = deleted.rowCount ?? 0
    }

    await eventRecorder.appendMany(trx, [
      {
        aggregateType: 'wallet',
        aggregateId: wallet.id,
        eventType: 'wallet.removed',
        payload: {
          userId,
          address: wallet.address,
          kind: wallet.kind,
          intentsCancelled: intents.length,
          alertsFailed: alerts.length,
          snapshotsDeleted,
        },
      },
      // the events DELETE /intents/:id and a failed delivery record
      ...intents.map((intent: { id: string; from_status: string }) => ({
        aggregateType: 'intent' as const,
        aggregateId: intent.id,
        eventType: 'intent.cancelled' as const,
        payload: { userId, from: intent.from_status, reason: 'wallet_removed' },
      })),
      ...alerts.map((alert: { id: string; channel: string; attempts: number }) => ({
        aggregateType: 'alert' as const,
        aggregateId: alert.id,
        eventType: 'alert.failed' as const,
        payload: {
          userId,
          channel: alert.channel,
          attempts: alert.attempts,
          error: WALLET_REMOVED_ERROR,
        },
      })),
    ])
    return { intentsCancelled: intents.length, alertsFailed: alerts.length, snapshotsDeleted }
  })
}
