import type { TransactionClientContract } from '@adonisjs/lucid/types/database'

export interface FanOutResult {
  /** Alerts created, per channel. */
  byChannel: Record<string, number>
  total: number
}

/**
 * Creates, in ONE statement, the alerts a new signal causes and their
 * `alert.created` events: one alert per channel of every user who follows the
 * signal's type (their `activeSignals`, or the defaults when they chose none)
 * and whose latest positions hold the asset (as collateral or debt, symbols
 * compared case-insensitively) or who watch it (`watchAssets`). `in_app` is
 * always a channel and is `sent` at once; the others wait, `pending`, for
 * their sender. Only the transaction that inserted the signal row fans out
 * (a retried or concurrent copy of the signal waits on that row's unique key
 * and then finds it stored), so the insert needs no ON CONFLICT; the unique
 * (user, signal, channel) constraint stays as the backstop.
 *
 * "Latest positions" come from user_held_symbols (GIN, one row per user: the
 * symbols of all their position heads), kept by triggers on position_heads,
 * itself kept by a trigger on positions. The events are journaled from the INSERT's
 * RETURNING rows in the same statement as one row of column arrays, never
 * shipped through JavaScript.
 */
export async function fanOutSignal(
  trx: TransactionClientContract,
  signal: { id: string; type: string; asset: string; severity: string },
  message: string,
  defaultActiveSignals: string[],
  events: { enabled: boolean; metadata: Record<string, unknown> }
): Promise<FanOutResult> {
  // A signal can concern every user: sort the (user, channel) pairs in memory, not on disk.
  await trx.rawQuery(`set local work_mem = '64MB'`)
  const { rows } = await trx.rawQuery(
    `
    with targets as (
      -- from the asset's side, both through GIN indexes: the heads that hold it and the
      -- users who watch it; only those users' preferences are read
      select u.id as user_id, u.preferences
      from users u
      where u.id in (
          -- the users whose heads hold it, one row each whatever their wallets
          -- (user_held_symbols, 16_create_user_wallets_table.ts); a snoozed position does
          -- not make its owner a target (watchAssets still do): the users left out are
          -- those with a live snooze — few — whose every position holding it is snoozed.
          -- (NOT IN a subquery run once: an OR of correlated subqueries was estimated at
          -- millions and JIT-compiled, 140 ms, in every fan-out.)
          select x.user_id from user_held_symbols x
          where x.symbols @> array[upper(:asset::text)]
            and x.user_id not in (
              select z.user_id from position_snoozes z
              where z.until > now()
                and not exists (
                  select 1 from position_heads h
                  where h.user_id = z.user_id and h.symbols @> array[upper(:asset::text)]
                    and not exists (
                      select 1 from position_snoozes s
                      where s.user_id = h.user_id and s.wallet_address = h.wallet_address
                        and s.protocol = h.protocol and s.chain_id = h.chain_id and s.until > now()
                    )
                )
            )
          union all
          select w.id from users w
          where watch_assets_upper(w.preferences) @> array[upper(:asset::text)]
        )
        and coalesce(u.preferences->'activeSignals', :defaults::jsonb) @> jsonb_build_array(:type::text)
    ),
    channels as (
      select distinct t.user_id, c.channel
      from targets t
      cross join lateral jsonb_array_elements_text(
        coalesce(t.preferences->'notificationChannels', '[]'::jsonb) || '["in_app"]'::jsonb
      ) as c(channel)
      where c.channel in ('telegram', 'email', 'in_app', 'webhook')
    ),
    zones as (
      -- each distinct zone checked once (known_time_zone(), 1_create_users_table.ts): one PostgreSQL does not know
      -- counts as UTC instead of failing the fan-out for everyone
      select z.tz, known_time_zone(z.tz) as known
      from (
        select distinct coalesce(t.preferences->>'timezone', 'UTC') as tz
        from targets t where t.preferences->'quietHours' is not null
      ) z
    ),
    quiet as (
      -- the end of the user's quiet window if "now" falls inside it (their time zone;
      -- windows may cross midnight); null otherwise. Mirrors app/domain/alerts/quiet_hours.ts.
      select t.user_id,
             case
               when q.start_at = q.end_at then null
               when q.start_at < q.end_at and q.local_now::time >= q.start_at and q.local_now::time < q.end_at
                 then (q.local_now::date + q.end_at) at time zone q.tz
               when q.start_at > q.end_at and q.local_now::time >= q.start_at
                 then (q.local_now::date + 1 + q.end_at) at time zone q.tz
               when q.start_at > q.end_at and q.local_now::time < q.end_at
                 then (q.local_now::date + q.end_at) at time zone q.tz
             end as quiet_until
      from targets t
      join zones z on z.tz = coalesce(t.preferences->>'timezone', 'UTC')
      cross join lateral (
        select (t.preferences->'quietHours'->>'start')::time as start_at,
               (t.preferences->'quietHours'->>'end')::time as end_at,
               z.known as tz,
               now() at time zone z.known as local_now
      ) q
      where t.preferences->'quietHours' is not null
    ),
    created as (
      insert into alerts (user_id, signal_id, type, severity, channel, message, metadata, status, sent_at, deliver_after)
      select c.user_id, :signal::uuid, :type, :severity, c.channel, :message,
             jsonb_build_object('asset', :asset::text),
             case when c.channel = 'in_app' then 'sent' else 'pending' end,
             case when c.channel = 'in_app' then now() end,
             case when c.channel <> 'in_app' and :severity::text <> 'critical' then q.quiet_until end
      from channels c
      left join quiet q on q.user_id = c.user_id
      order by c.user_id, c.channel
      returning id, user_id, channel, status
    ),
    journaled as (
      -- one journal row for all the alert.created events (docs/adr/0012): the integrator
      -- writes them, each version 1 of its new aggregate, after this commits. The three
      -- array_agg read the same rows in the same order, so column k of each lines up.
      insert into event_journal
        (aggregate_type, event_type, events, fresh, aggregate_ids, keys, types, vals, constants, metadata, occurred_at)
      select 'alert', 'alert.created', count(*), true, array_agg(c.id),
             array['userId', 'channel', 'status'], array['text', 'text', 'text'],
             array[array_agg(c.user_id::text), array_agg(c.channel), array_agg(c.status)],
             jsonb_build_object('signalId', :signal::uuid, 'type', :type::text, 'severity', :severity::text),
             :metadata::jsonb, now()
      from created c
      where :events::boolean
      having count(*) > 0
    )
    select channel, count(*)::int as n from created group by channel
    `,
    {
      defaults: JSON.stringify(defaultActiveSignals),
      type: signal.type,
      asset: signal.asset,
      signal: signal.id,
      severity: signal.severity,
      message,
      metadata: JSON.stringify(events.metadata),
      events: events.enabled,
    }
  )
  const byChannel = Object.fromEntries(
    rows.map((r: { channel: string; n: number }) => [r.channel, r.n])
  )
  return { byChannel, total: rows.reduce((sum: number, r: { n: number }) => sum + r.n, 0) }
}
