import type { TransactionClientContract } from '@adonisjs/lucid/types/database'

export interface FannedOutAlert {
  id: string
  user_id: string
  channel: string
  status: string
}

/**
 * Creates, in ONE statement, the alerts a new signal causes: one per channel of
 * every user who follows the signal's type (their `activeSignals`, or the
 * defaults when they chose none) and whose latest positions hold the asset
 * (as collateral or debt, symbols compared case-insensitively) or who watch it
 * (`watchAssets`). `in_app` is always a channel and is `sent` at once; the
 * others wait, `pending`, for their sender. The unique (user, signal, channel)
 * constraint makes a retried or concurrent fan-out a no-op.
 *
 * "Latest positions" = the newest snapshot of each (user, protocol, chain),
 * read with DISTINCT ON over the unique index.
 */
export async function fanOutSignal(
  trx: TransactionClientContract,
  signal: { id: string; type: string; asset: string; severity: string },
  message: string,
  defaultActiveSignals: string[]
): Promise<FannedOutAlert[]> {
  const { rows } = await trx.rawQuery(
    `
    with holders as (
      select distinct latest.user_id
      from (
        select distinct on (user_id, protocol, chain_id) user_id, collateral, debt
        from positions
        order by user_id, protocol, chain_id, snapshot_at desc
      ) latest
      where exists (
        select 1 from jsonb_array_elements(latest.collateral || latest.debt) a
        where upper(a->>'symbol') = upper(?)
      )
    ),
    targets as (
      select u.id as user_id, u.preferences
      from users u
      where coalesce(u.preferences->'activeSignals', ?::jsonb) @> jsonb_build_array(?::text)
        and (
          u.id in (select user_id from holders)
          or exists (
            select 1 from jsonb_array_elements_text(coalesce(u.preferences->'watchAssets', '[]'::jsonb)) w
            where upper(w) = upper(?)
          )
        )
    ),
    channels as (
      select distinct t.user_id, c.channel
      from targets t
      cross join lateral jsonb_array_elements_text(
        coalesce(t.preferences->'notificationChannels', '[]'::jsonb) || '["in_app"]'::jsonb
      ) as c(channel)
      where c.channel in ('telegram', 'email', 'in_app', 'webhook')
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
      cross join lateral (
        select (t.preferences->'quietHours'->>'start')::time as start_at,
               (t.preferences->'quietHours'->>'end')::time as end_at,
               coalesce(t.preferences->>'timezone', 'UTC') as tz,
               now() at time zone coalesce(t.preferences->>'timezone', 'UTC') as local_now
      ) q
      where t.preferences->'quietHours' is not null
    )
    insert into alerts (user_id, signal_id, type, severity, channel, message, metadata, status, sent_at, deliver_after)
    select c.user_id, ?::uuid, ?, ?, c.channel, ?,
           jsonb_build_object('asset', ?::text),
           case when c.channel = 'in_app' then 'sent' else 'pending' end,
           case when c.channel = 'in_app' then now() end,
           case when c.channel <> 'in_app' and ?::text <> 'critical' then q.quiet_until end
    from channels c
    left join quiet q on q.user_id = c.user_id
    order by c.user_id, c.channel
    on conflict (user_id, signal_id, channel) do nothing
    returning id, user_id, channel, status
    `,
    [
      signal.asset,
      JSON.stringify(defaultActiveSignals),
      signal.type,
      signal.asset,
      signal.id,
      signal.type,
      signal.severity,
      message,
      signal.asset,
      signal.severity,
    ]
  )
  return rows
}
