import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { DateTime } from 'luxon'
import { Intent } from '#models'
import type { IntentActionJson, IntentConditionJson, IntentStatus } from '#models/intent'
import { DomainError, NotFoundError } from '#domain/shared/errors'
import { knownToken, unpreparable } from '#domain/intents/registry'
import { fitsUint256 } from '#domain/intents/transactions'
import eventRecorder from '#services/events/event_recorder'
import { newestIdFirstPage, type Page } from '#services/shared/cursor'
import { walletKind } from '#services/positions/wallet_scope'

export const MAX_ACTIVE_INTENTS = 50

export interface IntentInput {
  /** One of the user's proven wallets; the sign-in wallet when left out. */
  walletAddress?: string
  name?: string
  protocol: string
  chainId: number
  condition: IntentConditionJson
  action: IntentActionJson
  cooldownSeconds?: number
  maxExecutions?: number | null
  expiresAt?: DateTime | null
}

export interface IntentPatch {
  name?: string | null
  status?: 'active' | 'paused'
  protocol?: string
  chainId?: number
  action?: IntentActionJson
  cooldownSeconds?: number
  maxExecutions?: number | null
  expiresAt?: DateTime | null
}

/**
 * Rules beyond the shape: the action must be one a transaction can be prepared
 * for — a protocol, chain and asset the registry has a market for (a notify
 * action needs none) — with no more decimals than the token has; "max" makes
 * sense to repay or withdraw, not to supply.
 */
function checkAction(protocol: string, chainId: number, action: IntentActionJson) {
  if (action.type === 'notify') return
  if (action.amount === 'max' && action.type === 'supply') {
    throw new DomainError(
      'E_VALIDATION_ERROR',
      'Supply needs an amount, not "max"',
      'action.amount'
    )
  }
  const problem = unpreparable(protocol, chainId, action)
  if (problem) throw new DomainError('E_VALIDATION_ERROR', problem.message, problem.field)
  const token = knownToken(protocol, chainId, action.asset)!
  const decimals = action.amount.split('.')[1]?.length ?? 0
  if (action.amount !== 'max' && decimals > token.decimals) {
    throw new DomainError(
      'E_VALIDATION_ERROR',
      `${action.asset} has ${token.decimals} decimals; the amount has ${decimals}`,
      'action.amount'
    )
  }
  if (action.amount !== 'max' && !fitsUint256(action.amount, token.decimals)) {
    throw new DomainError(
      'E_VALIDATION_ERROR',
      `The amount is larger than a transaction can carry (uint256 in ${action.asset}'s ${token.decimals} decimals)`,
      'action.amount'
    )
  }
}

function snapshotOf(intent: Intent) {
  return {
    name: intent.name,
    protocol: intent.protocol,
    chainId: intent.chainId,
    condition: intent.condition,
    action: intent.action,
    status: intent.status,
    cooldownSeconds: intent.cooldownSeconds,
    maxExecutions: intent.maxExecutions,
    expiresAt: intent.expiresAt?.toUTC().toISO() ?? null,
  }
}

/** Callers hold the user's row lock (create) or the intent's (resume). */
async function assertBelowActiveLimit(trx: TransactionClientContract, userId: string) {
  const { rows } = await trx.rawQuery(
    `select count(*)::int as n from intents where user_id = ? and status = 'active' and deleted_at is null`,
    [userId]
  )
  if (rows[0].n >= MAX_ACTIVE_INTENTS) {
    throw new DomainError(
      'E_INTENT_LIMIT',
      `At most ${MAX_ACTIVE_INTENTS} active intents per user: pause or delete one first`
    )
  }
}

/**
 * An intent acts for one of the user's PROVEN wallets (docs/adr/0014): its
 * transactions are prepared for that wallet to sign, so a wallet the user only
 * watches — whose keys they have not shown they hold — is refused with the
 * reason, and a wallet not on their list is refused like any bad value.
 */
async function assertProvenWallet(trx: TransactionClientContract, userId: string, wallet: string) {
  const kind = await walletKind(userId, wallet, trx)
  if (kind === 'watched') {
    throw new DomainError(
      'E_WALLET_WATCHED',
      'This wallet is only watched: intents act for proven wallets, as no transaction is prepared for a wallet you have not shown you control. Prove it first',
      'walletAddress'
    )
  }
  if (!kind) {
    throw new DomainError(
      'E_VALIDATION_ERROR',
      'The walletAddress field must be one of your proven wallets',
      'walletAddress'
    )
  }
}

export async function createIntent(userId: string, input: IntentInput): Promise<Intent> {
  checkAction(input.protocol, input.chainId, input.action)
  if (input.expiresAt && input.expiresAt.toMillis() <= Date.now()) {
    throw new DomainError(
      'E_VALIDATION_ERROR',
      'The expiresAt field must be in the future',
      'expiresAt'
    )
  }
  return db.transaction(async (trx) => {
    // The user's row lock serialises concurrent creations for the limit below.
    const { rows: locked } = await trx.rawQuery(
      'select wallet_address from users where id = ? for update',
      [userId]
    )
    if (input.walletAddress) await assertProvenWallet(trx, userId, input.walletAddress)
    await assertBelowActiveLimit(trx, userId)
    const intent = await Intent.create(
      {
        userId,
        walletAddress: input.walletAddress ?? locked[0].wallet_address,
        name: input.name ?? null,
        protocol: input.protocol,
        chainId: input.chainId,
        condition: input.condition,
        action: input.action,
        status: 'active',
        cooldownSeconds: input.cooldownSeconds ?? 3600,
        maxExecutions: input.maxExecutions ?? null,
        executionsCount: 0,
        expiresAt: input.expiresAt ?? null,
      },
      { client: trx }
    )
    await eventRecorder.append(trx, {
      aggregateType: 'intent',
      aggregateId: intent.id,
      eventType: 'intent.created',
      payload: { userId, walletAddress: intent.walletAddress, ...snapshotOf(intent) },
    })
    return intent
  })
}

async function lockedIntent(
  trx: TransactionClientContract,
  userId: string,
  id: string
): Promise<Intent> {
  const intent = await Intent.query({ client: trx })
    .where({ id, user_id: userId })
    .whereNull('deleted_at')
    .forUpdate()
    .first()
  if (!intent) throw new NotFoundError('intent')
  return intent
}

export async function updateIntent(
  userId: string,
  id: string,
  patch: IntentPatch
): Promise<Intent> {
  if (patch.expiresAt && patch.expiresAt.toMillis() <= Date.now()) {
    throw new DomainError(
      'E_VALIDATION_ERROR',
      'The expiresAt field must be in the future',
      'expiresAt'
    )
  }
  return db.transaction(async (trx) => {
    const intent = await lockedIntent(trx, userId, id)
    if (patch.status && !['active', 'paused'].includes(intent.status)) {
      throw new DomainError(
        'E_CONFLICT',
        `A ${intent.status} intent cannot be paused or resumed`,
        'status'
      )
    }
    if (patch.status === 'active' && intent.status === 'paused') {
      await assertBelowActiveLimit(trx, userId)
    }
    if (
      typeof patch.maxExecutions === 'number' &&
      patch.maxExecutions <= intent.executionsCount &&
      ['active', 'paused'].includes(patch.status ?? intent.status)
    ) {
      // it could never fire again, yet would stay active, counted in the limit and in me/state
      throw new DomainError(
        'E_VALIDATION_ERROR',
        `The maxExecutions field must be above the ${intent.executionsCount} executions so far`,
        'maxExecutions'
      )
    }
    // What the transaction is made of is checked as a whole, as the intent will
    // be after the change: a new chain must still list the action's asset. A
    // PATCH of nothing else (rename, pause, resume, cooldown, limits) is not
    // checked, even on an intent stored before this rule that no transaction
    // can be prepared for: refusing would leave its owner unable to pause or
    // rename it, and each of its executions still alerts, with the reason in
    // its note. Changing its protocol, chain or action is how it gets fixed.
    if (patch.protocol !== undefined || patch.chainId !== undefined || patch.action !== undefined) {
      checkAction(
        patch.protocol ?? intent.protocol,
        patch.chainId ?? intent.chainId,
        patch.action ?? intent.action
      )
    }
    const before = snapshotOf(intent)
    if (patch.name !== undefined) intent.name = patch.name
    if (patch.protocol !== undefined) intent.protocol = patch.protocol
    if (patch.chainId !== undefined) intent.chainId = patch.chainId
    if (patch.action !== undefined) intent.action = patch.action
    if (patch.status !== undefined) intent.status = patch.status
    if (patch.cooldownSeconds !== undefined) intent.cooldownSeconds = patch.cooldownSeconds
    if (patch.maxExecutions !== undefined) intent.maxExecutions = patch.maxExecutions
    if (patch.expiresAt !== undefined) intent.expiresAt = patch.expiresAt
    const after = snapshotOf(intent)
    const changes = Object.fromEntries(
      Object.entries(after)
        .filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(before[k as keyof typeof before]))
        .map(([k, v]) => [k, { from: before[k as keyof typeof before], to: v }])
    )
    if (Object.keys(changes).length === 0) return intent
    await intent.useTransaction(trx).save()
    await eventRecorder.append(trx, {
      aggregateType: 'intent',
      aggregateId: intent.id,
      eventType: 'intent.updated',
      payload: { userId, changes },
    })
    return intent
  })
}

/** DELETE: a soft delete; the intent stays readable as `cancelled`, with its executions. */
export async function cancelIntent(userId: string, id: string): Promise<Intent> {
  return db.transaction(async (trx) => {
    const intent = await Intent.query({ client: trx })
      .where({ id, user_id: userId })
      .forUpdate()
      .first()
    if (!intent) throw new NotFoundError('intent')
    if (intent.status === 'cancelled') return intent
    const from = intent.status
    intent.merge({ status: 'cancelled', deletedAt: DateTime.utc() })
    await intent.useTransaction(trx).save()
    await eventRecorder.append(trx, {
      aggregateType: 'intent',
      aggregateId: intent.id,
      eventType: 'intent.cancelled',
      payload: { userId, from },
    })
    return intent
  })
}

export async function findIntent(userId: string, id: string): Promise<Intent> {
  const intent = await Intent.query().where({ id, user_id: userId }).first()
  if (!intent) throw new NotFoundError('intent')
  return intent
}

export function listIntents(
  userId: string,
  q: {
    status?: IntentStatus
    protocol?: string
    chainId?: number
    walletAddress?: string
    limit?: number
    cursor?: string
  }
): Promise<Page<Intent>> {
  const query = Intent.query().where('user_id', userId)
  if (q.status) query.where('status', q.status)
  if (q.protocol) query.where('protocol', q.protocol)
  if (q.chainId) query.where('chain_id', q.chainId)
  if (q.walletAddress) query.where('wallet_address', q.walletAddress)
  return newestIdFirstPage(query, q)
}

export interface ExecutionRow {
  id: string
  intent_id: string
  snapshot_id: string | null
  condition: Record<string, unknown>
  action: Record<string, unknown>
  transaction: Record<string, unknown> | null
  note: string | null
  alert_id: string | null
  created_at: Date
}

export async function listExecutions(
  userId: string,
  intentId: string,
  q: { limit?: number; cursor?: string }
): Promise<Page<ExecutionRow>> {
  await findIntent(userId, intentId)
  const query = db.from('intent_executions').where('intent_id', intentId).where('user_id', userId)
  return newestIdFirstPage<ExecutionRow>(query as any, q)
}

/** Scheduled: intents past expiresAt become `expired`. */
export async function expireIntents(): Promise<number> {
  return db.transaction(async (trx) => {
    const { rows } = await trx.rawQuery(
      `update intents set status = 'expired', updated_at = now()
       where status in ('active', 'paused') and deleted_at is null and expires_at <= now()
       returning id, user_id`
    )
    await eventRecorder.appendMany(
      trx,
      rows.map((r: { id: string; user_id: string }) => ({
        aggregateType: 'intent' as const,
        aggregateId: r.id,
        eventType: 'intent.updated' as const,
        payload: { userId: r.user_id, changes: { status: { to: 'expired' } } },
        metadata: { actor: { type: 'system', id: 'intent-expiry' } },
      }))
    )
    return rows.length
  })
}
