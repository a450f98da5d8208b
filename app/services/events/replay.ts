import db from '@adonisjs/lucid/services/db'
import { inOneSnapshot } from '#infrastructure/database/snapshot'
import { DateTime } from 'luxon'
import { stateAt } from '#services/events/state_at'
import { integrateNow } from '#services/events/integrator'

export interface ReplayDifference {
  table: string
  id: string
  field: string
  live: unknown
  replayed: unknown
}

export interface ReplayReport {
  schema: string
  users: number
  rows: Record<string, number>
  differences: ReplayDifference[]
}

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/

/**
 * Rebuilds the read side of every user from the event store alone into a
 * fresh schema — profile and Telegram link, newest snapshot per position, alert
 * statuses, intent statuses — and compares it with the live tables. An
 * operator's consistency check: a difference means a state change that did
 * not record its event (or an event without its change).
 */
export async function replayInto(schema: string, instant?: DateTime): Promise<ReplayReport> {
  if (!SCHEMA.test(schema) || ['public', 'pg_catalog', 'information_schema'].includes(schema)) {
    throw new Error(`"${schema}" is not a schema name events:replay may create`)
  }
  const { rows: exists } = await db.rawQuery(
    'select 1 from information_schema.schemata where schema_name = ?',
    [schema]
  )
  if (exists.length) throw new Error(`schema "${schema}" already exists: replay needs a fresh one`)
  // Readers see sealed events only: seal what has committed, so the live tables and
  // the events compared below describe the same changes.
  await integrateNow()

  // One REPEATABLE READ transaction: the users listed, each one's events and the live
  // tables compared all come from one snapshot. Read at different moments, any change
  // made meanwhile (a sign-up, an alert sent) was reported as a difference.
  return inOneSnapshot(async (trx) => {
    await trx.rawQuery(`create schema ${schema}`)
    await trx.rawQuery(
      `create table ${schema}.users (id uuid primary key, email text, preferences jsonb not null, telegram_linked boolean not null)`
    )
    await trx.rawQuery(
      `create table ${schema}.position_heads (user_id uuid, wallet_address text, protocol text, chain_id int, snapshot_id uuid, primary key (user_id, wallet_address, protocol, chain_id))`
    )
    await trx.rawQuery(
      `create table ${schema}.alerts (id uuid primary key, user_id uuid not null, status text not null)`
    )
    await trx.rawQuery(
      `create table ${schema}.intents (id uuid primary key, user_id uuid not null, status text not null, name text)`
    )

    const users: { id: string }[] = await trx.from('users').select('id').orderBy('id')
    // "Now" is taken once the snapshot is: an event sealed before it but stamped after
    // an instant taken earlier (integration runs in between) would be left out.
    const now = instant ?? DateTime.utc()
    for (const { id } of users) {
      const state = await stateAt(id, now, { allAlerts: true, allIntents: true }, trx)
      await trx.table(`${schema}.users`).insert({
        id,
        email: state.email,
        preferences: JSON.stringify(state.preferences),
        telegram_linked: state.telegramLinked,
      })
      if (state.positions.length) {
        await trx.table(`${schema}.position_heads`).multiInsert(
          state.positions.map((p) => ({
            user_id: id,
            wallet_address: p.walletAddress,
            protocol: p.protocol,
            chain_id: p.chainId,
            snapshot_id: p.id,
          }))
        )
      }
      if (state.openAlerts.length) {
        await trx
          .table(`${schema}.alerts`)
          .multiInsert(state.openAlerts.map((a) => ({ id: a.id, user_id: id, status: a.status })))
      }
      if (state.activeIntents.length) {
        await trx.table(`${schema}.intents`).multiInsert(
          state.activeIntents.map((i) => ({
            id: i.id,
            user_id: id,
            status: i.status,
            name: i.name,
          }))
        )
      }
    }

    // Changes committed after the newest block are in the live tables but their events
    // are not sealed yet (readers do not see them): their users are left out of the
    // comparison rather than reported as differences.
    await trx.rawQuery(
      `create temp table unsealed_users on commit drop as
       select e.user_id from event_store e
       where e.tx >= event_store_sealed_bound() and e.user_id is not null
       union
       select case when x.aggregate_type = 'user' then x.aggregate_id else (x.payload->>'userId')::uuid end
       from event_journal_expand(event_store_sealed_bound(), pg_snapshot_xmax(pg_current_snapshot())) x`
    )
    const sealed = (column: string) =>
      `not exists (select 1 from unsealed_users u where u.user_id = ${column})`
    const differences: ReplayDifference[] = []
    const compare = async (table: string, sql: string) => {
      const { rows } = await trx.rawQuery(sql)
      for (const r of rows)
        differences.push({ table, id: r.id, field: r.field, live: r.live, replayed: r.replayed })
    }
    await compare(
      'users',
      `select coalesce(l.id, r.id)::text as id, f.field, f.live, f.replayed
       from public.users l full join ${schema}.users r on r.id = l.id
       cross join lateral (values
         ('email', to_jsonb(l.email), to_jsonb(r.email)),
         ('preferences', l.preferences, r.preferences),
         ('telegramLinked', to_jsonb(l.telegram_chat_id is not null), to_jsonb(r.telegram_linked))
       ) f(field, live, replayed)
       where f.live is distinct from f.replayed and ${sealed('coalesce(l.id, r.id)')}`
    )
    await compare(
      'position_heads',
      `select concat_ws(':', coalesce(l.user_id, r.user_id), coalesce(l.wallet_address, r.wallet_address),
                        coalesce(l.protocol, r.protocol), coalesce(l.chain_id, r.chain_id)) as id,
              'snapshotId' as field, to_jsonb(l.snapshot_id) as live, to_jsonb(r.snapshot_id) as replayed
       from public.position_heads l full join ${schema}.position_heads r
         on r.user_id = l.user_id and r.wallet_address = l.wallet_address
        and r.protocol = l.protocol and r.chain_id = l.chain_id
       where l.snapshot_id is distinct from r.snapshot_id and ${sealed('coalesce(l.user_id, r.user_id)')}`
    )
    await compare(
      'alerts',
      `select coalesce(l.id, r.id)::text as id, 'status' as field, to_jsonb(l.status) as live, to_jsonb(r.status) as replayed
       from public.alerts l full join ${schema}.alerts r on r.id = l.id
       where l.status is distinct from r.status and ${sealed('coalesce(l.user_id, r.user_id)')}`
    )
    await compare(
      'intents',
      `select coalesce(l.id, r.id)::text as id, f.field, f.live, f.replayed
       from public.intents l full join ${schema}.intents r on r.id = l.id
       cross join lateral (values ('status', to_jsonb(l.status), to_jsonb(r.status)),
                                  ('name', to_jsonb(l.name), to_jsonb(r.name))) f(field, live, replayed)
       where f.live is distinct from f.replayed and ${sealed('coalesce(l.user_id, r.user_id)')}`
    )
    const rows: Record<string, number> = {}
    for (const table of ['users', 'position_heads', 'alerts', 'intents']) {
      const { rows: n } = await trx.rawQuery(`select count(*)::int as n from ${schema}.${table}`)
      rows[table] = n[0].n
    }
    return { schema, users: users.length, rows, differences }
  })
}
