import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import eventRecorder from '#services/events/event_recorder'
import { kickDeliveryAfterCommit } from '#services/delivery/kick'

/**
 * Escalation: a critical alert that nobody acknowledged within
 * ESCALATION_MINUTES is sent again — on the channels it went to and on every
 * other channel the user has linked (Telegram chat, email, webhook, in-app) —
 * once per cause (a signal, or the snapshot that tripped the health-factor
 * rule), and the message says it is an escalation. Not while the alert's
 * position is snoozed. Set-based for any number of users (a locking statement,
 * then one that decides and writes); acknowledging any alert of a cause stops it.
 */
/**
 * Critical alerts nobody acknowledged or escalated yet, old enough (bindings:
 * now, minutes). alerts_escalation_due_index holds just these: a scan of all
 * alerts every minute took ~90 ms of both cores at 800k alerts.
 */
const DUE = `a.severity = 'critical' and a.status <> 'acknowledged'
  and (a.metadata->>'escalatedAt') is null and (a.metadata->>'escalationOf') is null
  and a.created_at <= ?::timestamptz - make_interval(mins => ?)`

export async function escalateAlerts(now = new Date()): Promise<number> {
  const minutes = env.get('ESCALATION_MINUTES', 15)
  return db.transaction(async (trx) => {
    // First take the due alerts' row locks, then decide in a second statement:
    // under READ COMMITTED it reads a snapshot taken after the locks were
    // granted, so an acknowledgement or another run's escalation committed
    // while this run waited is seen. A single statement would only re-check the
    // locked rows' own conditions, against the snapshot it started with.
    const due = [now.toISOString(), minutes]
    await trx.rawQuery(`select a.id from alerts a where ${DUE} order by a.id for update`, due)
    const { rows } = await trx.rawQuery(
      `
      with candidates as (
        select distinct a.user_id, coalesce(a.signal_id::text, a.metadata->>'snapshotId', a.id::text) as cause
        from alerts a
        where ${DUE}
          -- a snoozed position's alerts are muted: not pushed again on every channel
          -- while the snooze lasts (escalated after it, if still unacknowledged)
          and not exists (
            select 1 from position_snoozes z
            where z.user_id = a.user_id and z.wallet_address = a.wallet_address
              and z.protocol = a.metadata->>'protocol'
              and z.chain_id::text = a.metadata->>'chainId' and z.until > ?::timestamptz
          )
      ),
      causes as (
        -- a cause is escalated once: not when any of its alerts was acknowledged or escalated
        select c.user_id, c.cause from candidates c
        where not exists (
          select 1 from alerts b
          where b.user_id = c.user_id
            and coalesce(b.signal_id::text, b.metadata->>'snapshotId', b.id::text) = c.cause
            and b.severity = 'critical' and b.metadata->>'escalationOf' is null
            and b.created_at <= ?::timestamptz - make_interval(mins => ?)
            and (b.status = 'acknowledged' or b.metadata->>'escalatedAt' is not null)
        )
      ),
      originals as (
        select a.*
        from alerts a
        join causes c on c.user_id = a.user_id
          and c.cause = coalesce(a.signal_id::text, a.metadata->>'snapshotId', a.id::text)
        where a.severity = 'critical' and a.metadata->>'escalationOf' is null
        for update of a
      ),
      representative as (
        select distinct on (user_id, coalesce(signal_id::text, metadata->>'snapshotId', id::text)) *
        from originals
        order by user_id, coalesce(signal_id::text, metadata->>'snapshotId', id::text), id
      ),
      channels as (
        select o.user_id, coalesce(o.signal_id::text, o.metadata->>'snapshotId', o.id::text) as cause, o.channel
        from originals o
        union
        select r.user_id, coalesce(r.signal_id::text, r.metadata->>'snapshotId', r.id::text), linked.channel
        from representative r
        join users u on u.id = r.user_id
        cross join lateral (
          select 'in_app' as channel
          -- the user's chat, or the chat linked to the alert's wallet (docs/adr/0014)
          union all select 'telegram' where u.telegram_chat_id is not null or exists (
            select 1 from user_wallets w
            where w.user_id = r.user_id and w.address = r.wallet_address and w.telegram_chat_id is not null)
          union all select 'email' where u.email is not null
          union all select 'webhook' where u.preferences->>'webhookUrl' is not null
        ) linked
      ),
      marked as (
        update alerts a set metadata = a.metadata || jsonb_build_object('escalatedAt', ?::timestamptz), updated_at = now()
        from originals o where a.id = o.id
        returning a.id
      )
      insert into alerts (user_id, wallet_address, signal_id, type, severity, channel, message, metadata, status, sent_at)
      select r.user_id, r.wallet_address, null, r.type, 'critical', c.channel,
             'ESCALATION — not acknowledged for ' || ? || ' minutes: ' || r.message,
             r.metadata || jsonb_build_object('escalationOf', r.id, 'signalId', r.signal_id),
             case when c.channel = 'in_app' then 'sent' else 'pending' end,
             case when c.channel = 'in_app' then now() end
      from representative r
      join channels c on c.user_id = r.user_id
        and c.cause = coalesce(r.signal_id::text, r.metadata->>'snapshotId', r.id::text)
      order by r.user_id, c.channel
      returning id, user_id, channel, status, metadata->>'escalationOf' as escalation_of
      `,
      [...due, now.toISOString(), now.toISOString(), minutes, now.toISOString(), String(minutes)]
    )
    kickDeliveryAfterCommit(
      trx,
      rows.map((a: { channel: string }) => a.channel)
    )
    await eventRecorder.appendMany(
      trx,
      rows.map(
        (a: {
          id: string
          user_id: string
          channel: string
          status: string
          escalation_of: string
        }) => ({
          aggregateType: 'alert' as const,
          aggregateId: a.id,
          eventType: 'alert.created' as const,
          payload: {
            userId: a.user_id,
            channel: a.channel,
            status: a.status,
            severity: 'critical',
            escalationOf: a.escalation_of,
          },
          metadata: {
            actor: { type: 'system', id: 'escalation' },
            causation: { aggregateType: 'alert', aggregateId: a.escalation_of },
          },
        })
      )
    )
    return rows.length
  })
}
