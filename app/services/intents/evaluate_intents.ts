import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { DateTime } from 'luxon'
import { getAddress } from 'viem'
import features from '#config/features'
import { deliverAt } from '#domain/alerts/quiet_hours'
import { formatIntentTriggered, walletName } from '#domain/alerts/messages'
import { prepareTransaction, type IntentAction } from '#domain/intents/transactions'
import { alertChannels, type StoredPreferences } from '#domain/users/preferences'
import { walletPreferences, type WalletPreferences } from '#domain/users/wallet_preferences'
import eventRecorder from '#services/events/event_recorder'
import { kickDeliveryAfterCommit } from '#services/delivery/kick'
import type { EvaluatedSnapshot } from '#services/alerts/health_factor_alerts'

interface Candidate {
  intent_id: string
  user_id: string
  name: string | null
  protocol: string
  chain_id: number
  condition: { metric: 'health_factor'; operator: 'lt' | 'lte' | 'gt' | 'gte'; value: string }
  action: IntentAction
  reaches_max: boolean
  snapshot_id: string
  health_factor: string | null
  wallet_address: string
  preferences: StoredPreferences
  /** The intent's wallet's own preferences (its channels win over the user's). */
  wallet_preferences: WalletPreferences | null
  wallet_label: string | null
  sign_in_wallet: boolean
}

/**
 * Evaluates intents against newly stored snapshots, inside the ingest
 * transaction. One statement finds every intent that fires — for the newest
 * snapshot of each position in the batch (an older one is a backfill and
 * prepares nothing), active, unexpired, not cooling down, under its
 * maxExecutions, condition true (exact numeric comparison; no debt = infinite
 * HF) — and locks it. Then one insert each for executions, alerts and the
 * intents' counters, and the events.
 */
export async function evaluateIntents(
  trx: TransactionClientContract,
  snapshots: EvaluatedSnapshot[]
): Promise<number> {
  if (!features.intents || snapshots.length === 0) return 0
  const batch = snapshots.map((s) => ({
    snapshot_id: s.id,
    user_id: s.userId,
    wallet_address: s.walletAddress,
    protocol: s.protocol,
    chain_id: s.chainId,
    health_factor: s.healthFactor,
    snapshot_at: s.snapshotAt,
  }))
  const { rows: candidates } = (await trx.rawQuery(
    `with batch as (
       select * from jsonb_to_recordset(?::jsonb) as x(snapshot_id uuid, user_id uuid, wallet_address text,
                                                       protocol text, chain_id int, health_factor numeric,
                                                       snapshot_at timestamptz)
     ),
     newest as (
       select distinct on (user_id, wallet_address, protocol, chain_id) * from batch
       order by user_id, wallet_address, protocol, chain_id, snapshot_at desc
     )
     select i.id as intent_id, i.user_id, i.name, i.protocol, i.chain_id, i.condition, i.action,
            (i.max_executions is not null and i.executions_count + 1 >= i.max_executions) as reaches_max,
            n.snapshot_id, n.health_factor::text as health_factor, i.wallet_address, u.preferences,
            w.preferences as wallet_preferences, w.label as wallet_label,
            (i.wallet_address = u.wallet_address) as sign_in_wallet
     from newest n
     join intents i on i.user_id = n.user_id and i.wallet_address = n.wallet_address
                   and i.protocol = n.protocol and i.chain_id = n.chain_id
                   and i.status = 'active' and i.deleted_at is null
     join users u on u.id = n.user_id
     left join user_wallets w on w.user_id = i.user_id and w.address = i.wallet_address
     where (i.expires_at is null or i.expires_at > now())
       and (i.max_executions is null or i.executions_count < i.max_executions)
       and (i.last_triggered_at is null or i.last_triggered_at + make_interval(secs => i.cooldown) <= now())
       and case i.condition->>'operator'
             when 'lt' then n.health_factor < (i.condition->>'value')::numeric
             when 'lte' then n.health_factor <= (i.condition->>'value')::numeric
             when 'gt' then n.health_factor is null or n.health_factor > (i.condition->>'value')::numeric
             when 'gte' then n.health_factor is null or n.health_factor >= (i.condition->>'value')::numeric
           end
       and not exists (
         select 1 from positions p
         where p.user_id = n.user_id and p.wallet_address = n.wallet_address
           and p.protocol = n.protocol and p.chain_id = n.chain_id and p.snapshot_at > n.snapshot_at
       )
     order by i.id
     for update of i`,
    [JSON.stringify(batch)]
  )) as { rows: Candidate[] }
  if (candidates.length === 0) return 0

  const now = DateTime.utc()
  const executions = candidates.map((c) => {
    const prepared = prepareTransaction(
      c.protocol,
      c.chain_id,
      getAddress(c.wallet_address),
      c.action
    )
    return { candidate: c, ...prepared }
  })

  const { rows: inserted } = await trx.rawQuery(
    `insert into intent_executions (intent_id, user_id, snapshot_id, condition, action, transaction, note)
     select intent_id, user_id, snapshot_id, condition, action, transaction, note
     from jsonb_to_recordset(?::jsonb) as x(intent_id uuid, user_id uuid, snapshot_id uuid, condition jsonb,
                                            action jsonb, transaction jsonb, note text)
     on conflict (intent_id, snapshot_id) do nothing
     returning id, intent_id`,
    [
      JSON.stringify(
        executions.map(({ candidate: c, transaction, note }) => ({
          intent_id: c.intent_id,
          user_id: c.user_id,
          snapshot_id: c.snapshot_id,
          condition: { ...c.condition, observed: c.health_factor },
          action: c.action,
          transaction,
          note,
        }))
      ),
    ]
  )
  const executionOf = new Map<string, string>(
    inserted.map((r: { id: string; intent_id: string }) => [r.intent_id, r.id])
  )
  const fired = executions.filter((e) => executionOf.has(e.candidate.intent_id))
  if (fired.length === 0) return 0

  await trx.rawQuery(
    `update intents i
        set executions_count = i.executions_count + 1, last_triggered_at = now(), updated_at = now(),
            status = case when i.max_executions is not null and i.executions_count + 1 >= i.max_executions
                          then 'triggered' else i.status end
      where i.id = any(?::uuid[])`,
    [fired.map((e) => e.candidate.intent_id)]
  )

  const alerts = fired.flatMap(({ candidate: c, transaction, note }) => {
    const prefs = walletPreferences(c.preferences ?? {}, c.wallet_preferences)
    const due = deliverAt(now, 'high', prefs.quietHours, prefs.timezone)
    const message = formatIntentTriggered({
      // named unless it is the wallet the user signs in with (docs/adr/0014)
      ...(c.sign_in_wallet ? {} : { wallet: walletName(c.wallet_address, c.wallet_label) }),
      name: c.name,
      protocol: c.protocol,
      chainId: c.chain_id,
      operator: c.condition.operator,
      threshold: c.condition.value,
      healthFactor: c.health_factor,
      action: c.action,
      transaction,
      note,
    })
    return alertChannels(prefs).map((channel) => ({
      user_id: c.user_id,
      wallet_address: c.wallet_address,
      channel,
      message,
      metadata: {
        intentId: c.intent_id,
        executionId: executionOf.get(c.intent_id),
        snapshotId: c.snapshot_id,
        walletAddress: c.wallet_address,
        protocol: c.protocol,
        chainId: c.chain_id,
      },
      status: channel === 'in_app' ? 'sent' : 'pending',
      deliver_after: channel !== 'in_app' && due > now ? due.toISO() : null,
    }))
  })
  const { rows: alertRows } = await trx.rawQuery(
    `with created as (
       insert into alerts (user_id, wallet_address, type, severity, channel, message, metadata, status, sent_at, deliver_after)
       select user_id, wallet_address, 'intent_triggered', 'high', channel, message, metadata, status,
              case when status = 'sent' then now() end, deliver_after
       from jsonb_to_recordset(?::jsonb) as x(user_id uuid, wallet_address text, channel text, message text,
                                              metadata jsonb, status text, deliver_after timestamptz)
       returning id, user_id, channel, status, metadata
     ), linked as (
       update intent_executions e set alert_id = c.id
       from created c
       where c.channel = 'in_app' and e.id = (c.metadata->>'executionId')::uuid
     )
     select id, user_id, channel, status, metadata->>'intentId' as intent_id from created`,
    [JSON.stringify(alerts)]
  )
  kickDeliveryAfterCommit(
    trx,
    alertRows.map((a: { channel: string }) => a.channel)
  )

  await eventRecorder.appendMany(trx, [
    ...fired.map(({ candidate: c, transaction, note }) => ({
      aggregateType: 'intent' as const,
      aggregateId: c.intent_id,
      eventType: 'intent.triggered' as const,
      payload: {
        userId: c.user_id,
        executionId: executionOf.get(c.intent_id),
        snapshotId: c.snapshot_id,
        observed: c.health_factor,
        transaction,
        note,
        status: c.reaches_max ? 'triggered' : 'active',
      },
      metadata: { causation: { aggregateType: 'position', aggregateId: c.snapshot_id } },
    })),
    ...alertRows.map(
      (a: { id: string; user_id: string; channel: string; status: string; intent_id: string }) => ({
        aggregateType: 'alert' as const,
        aggregateId: a.id,
        eventType: 'alert.created' as const,
        payload: {
          userId: a.user_id,
          type: 'intent_triggered',
          severity: 'high',
          channel: a.channel,
          status: a.status,
        },
        metadata: { causation: { aggregateType: 'intent', aggregateId: a.intent_id } },
      })
    ),
  ])
  return fired.length
}
