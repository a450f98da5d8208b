import db from '@adonisjs/lucid/services/db'
import Big from 'big.js'
import { DateTime } from 'luxon'
import { deliverAt } from '#domain/alerts/quiet_hours'
import { withDefaults, type StoredPreferences } from '#domain/users/preferences'
import { formatDigest, walletName, type DigestFacts } from '#domain/alerts/messages'
import eventRecorder from '#services/events/event_recorder'
import { kickDeliveryAfterCommit } from '#services/delivery/kick'

/** Local hours in which a day's digest may go out: from 08:00, late rather than never after downtime. */
const WINDOW = { from: '08:00', until: '12:00' }

interface Claimed {
  user_id: string
  local_date: string
  channel: string
  preferences: StoredPreferences
}

const sum = (assets: { valueUsd: string }[]) =>
  assets.reduce((total, a) => total.plus(a.valueUsd), new Big(0)).toFixed(2)

/**
 * Creates the daily digests due at `now`: users with `digest: 'daily'` whose
 * local time (their time zone) is past 08:00 and who have no digest for their
 * local date yet. Claiming the (user, local date) row first makes it once per
 * day however many workers run this at the same time. Each digest is an alert
 * on the user's first linked channel, delivered like every alert.
 */
export async function createDueDigests(now = new Date()): Promise<number> {
  return db.transaction(async (trx) => {
    const { rows: claimed } = await trx.rawQuery(
      `with daily as (
         select u.id, u.preferences, u.telegram_chat_id, u.email,
                coalesce(u.preferences->>'timezone', 'UTC') as tz
         from users u
         where u.preferences->>'digest' = 'daily'
       ),
       -- each distinct zone checked once (known_time_zone(), 1_create_users_table.ts): one PostgreSQL does not know
       -- counts as UTC instead of failing every user's digest
       zones as (select z.tz, known_time_zone(z.tz) as known from (select distinct tz from daily) z),
       due as (
         select d.id, d.preferences, d.telegram_chat_id, d.email,
                (?::timestamptz at time zone z.known) as local_now
         from daily d join zones z using (tz)
       )
       insert into digest_runs (user_id, local_date)
       select d.id, d.local_now::date
       from due d
       where d.local_now::time >= ?::time and d.local_now::time < ?::time
       on conflict (user_id, local_date) do nothing
       returning user_id, to_char(local_date, 'YYYY-MM-DD') as local_date,
         (select u3.preferences from users u3 where u3.id = digest_runs.user_id) as preferences,
         (select coalesce(
            (select c from users u2
               cross join lateral jsonb_array_elements_text(
                 coalesce(u2.preferences->'notificationChannels', '["in_app"]'::jsonb)
               ) with ordinality as x(c, n)
              where u2.id = digest_runs.user_id
                and ((c = 'telegram' and u2.telegram_chat_id is not null)
                  or (c = 'email' and u2.email is not null)
                  or (c = 'webhook' and u2.preferences->>'webhookUrl' is not null)
                  or c = 'in_app')
              order by n limit 1),
            'in_app')) as channel`,
      [now.toISOString(), WINDOW.from, WINDOW.until]
    )
    if (claimed.length === 0) return 0
    const userIds = (claimed as Claimed[]).map((c) => c.user_id)
    const since = new Date(now.getTime() - 24 * 3600_000).toISOString()

    const { rows: positions } = await trx.rawQuery(
      `select latest.user_id, latest.wallet_address, latest.protocol, latest.chain_id, latest.health_factor,
              latest.collateral, latest.debt, low.lowest, w.label,
              (latest.wallet_address = u.wallet_address) as sign_in_wallet
       from position_heads h
       join users u on u.id = h.user_id
       join user_wallets w on w.user_id = h.user_id and w.address = h.wallet_address
       join positions latest on latest.id = h.snapshot_id
       left join lateral (
         select min(health_factor)::text as lowest from positions p
         where p.user_id = h.user_id and p.wallet_address = h.wallet_address and p.protocol = h.protocol
           and p.chain_id = h.chain_id and p.snapshot_at > ? and p.snapshot_at <= ?
       ) low on true
       where h.user_id = any(?::uuid[])
       order by latest.user_id, sign_in_wallet desc, latest.wallet_address, latest.protocol, latest.chain_id`,
      [since, now.toISOString(), userIds]
    )
    // One alert per cause: the in-app copy stands for all channels of a cause.
    const { rows: alerts } = await trx.rawQuery(
      `select user_id, severity, count(*)::int as n from alerts
       where user_id = any(?::uuid[]) and channel = 'in_app' and type <> 'daily_digest'
         and created_at > ? and created_at <= ?
       group by user_id, severity`,
      [userIds, since, now.toISOString()]
    )
    const { rows: signals } = await trx.rawQuery(
      `select distinct a.user_id, s.type, s.asset, s.severity, s.detected_at from alerts a
       join signals s on s.id = a.signal_id
       where a.user_id = any(?::uuid[]) and a.channel = 'in_app'
         and a.created_at > ? and a.created_at <= ?
       order by s.detected_at desc`,
      [userIds, since, now.toISOString()]
    )

    const facts = new Map<string, DigestFacts>()
    for (const c of claimed as Claimed[]) {
      facts.set(c.user_id, {
        localDate: c.local_date,
        positions: [],
        alerts: { total: 0, bySeverity: {} },
        signals: [],
      })
    }
    for (const p of positions) {
      facts.get(p.user_id)!.positions.push({
        ...(p.sign_in_wallet ? {} : { wallet: walletName(p.wallet_address, p.label) }),
        protocol: p.protocol,
        chainId: p.chain_id,
        healthFactor: p.health_factor,
        lowestHealthFactor: p.lowest,
        collateralUsd: sum(p.collateral),
        debtUsd: sum(p.debt),
      })
    }
    for (const a of alerts) {
      const f = facts.get(a.user_id)!
      f.alerts.total += a.n
      f.alerts.bySeverity[a.severity] = a.n
    }
    for (const s of signals) {
      facts.get(s.user_id)!.signals.push({ type: s.type, asset: s.asset, severity: s.severity })
    }

    const at = DateTime.fromJSDate(now, { zone: 'utc' })
    const rows = (claimed as Claimed[]).map((c) => {
      // a low-severity push like any other: held by quiet hours (a 22:00–09:00 night
      // would otherwise get it at 08:00)
      const prefs = withDefaults(c.preferences ?? {})
      const due = deliverAt(at, 'low', prefs.quietHours, prefs.timezone)
      return {
        user_id: c.user_id,
        channel: c.channel,
        message: formatDigest(facts.get(c.user_id)!),
        local_date: c.local_date,
        deliver_after: c.channel !== 'in_app' && due > at ? due.toISO() : null,
      }
    })
    const { rows: inserted } = await trx.rawQuery(
      `with created as (
         insert into alerts (user_id, type, severity, channel, message, metadata, status, sent_at, deliver_after)
         select x.user_id, 'daily_digest', 'low', x.channel, x.message,
                jsonb_build_object('localDate', x.local_date),
                case when x.channel = 'in_app' then 'sent' else 'pending' end,
                case when x.channel = 'in_app' then now() end,
                x.deliver_after
         from jsonb_to_recordset(?::jsonb)
              as x(user_id uuid, channel text, message text, local_date text, deliver_after timestamptz)
         returning id, user_id, channel, status, metadata
       ), linked as (
         update digest_runs r set alert_id = c.id
         from created c
         where r.user_id = c.user_id and r.local_date = (c.metadata->>'localDate')::date
       )
       select id, user_id, channel, status from created`,
      [JSON.stringify(rows)]
    )
    kickDeliveryAfterCommit(
      trx,
      inserted.map((a: { channel: string }) => a.channel)
    )
    await eventRecorder.appendMany(
      trx,
      inserted.map((a: { id: string; user_id: string; channel: string; status: string }) => ({
        aggregateType: 'alert' as const,
        aggregateId: a.id,
        eventType: 'alert.created' as const,
        payload: {
          userId: a.user_id,
          type: 'daily_digest',
          severity: 'low',
          channel: a.channel,
          status: a.status,
        },
        metadata: { actor: { type: 'system', id: 'digest' } },
      }))
    )
    return inserted.length
  })
}
