import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The event store (phase-gated: the tables always exist, FEATURE_EVENT_STORE gates
 * routes and jobs): the append-only record of everything that happened, as a commit
 * journal sealed into a chain of blocks (docs/adr/0012).
 *
 * - event_store: one row per event. (aggregate_type, aggregate_id, version) gives
 *   optimistic concurrency per aggregate; (tx, position) is the key and the order
 *   readers, the integrator and events:verify walk — `position` is taken when a row
 *   is inserted, not when it commits, so readers page by (tx, position) below a
 *   bound no transaction can still write under. `user_id` (whose event it is) is
 *   written by the writers; `journal_id` names the journal row an integrated event
 *   came from (events:verify re-expands it).
 * - event_journal: what a bulk append (a snapshot batch, a fan-out) writes in the
 *   business transaction — one row holding every event as column arrays. Appends to
 *   journal-fed streams (positions, alerts) only ever go here.
 * - event_store_blocks: the integrator (app/services/events/integrator.ts) expands
 *   journal rows whose transactions have all ended into event rows, assigning
 *   versions, and seals every event below that bound into one block: leaf hashes in
 *   order, their root, the previous block's hash. Readers read up to the newest
 *   block's bound.
 *
 * Append-only, enforced by the database: an UPDATE, DELETE or TRUNCATE of any of the
 * three fails (12_create_event_store_archives_table.ts lets one thing through:
 * removing events and blocks an archive holds). Appends wake the integrator
 * (`event_store_pending`); a sealed block wakes the readers (`event_store_appended`).
 *
 * event_store_gate: whether the store was on when a process last started, so that
 * turning FEATURE_EVENT_STORE back on records `system.event_store_enabled` once and
 * the history says where its gap is.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create table event_store (
        position bigserial not null,
        aggregate_type text not null,
        aggregate_id uuid not null,
        version integer not null,
        event_type text not null,
        payload jsonb not null default '{}'::jsonb,
        metadata jsonb not null default '{}'::jsonb,
        occurred_at timestamptz not null default now(),
        created_at timestamptz not null default now(),
        user_id uuid,
        tx xid8 not null default pg_current_xact_id(),
        journal_id bigint,
        constraint event_store_pkey primary key (tx, position),
        constraint event_store_aggregate_version_unique unique (aggregate_type, aggregate_id, version),
        constraint event_store_aggregate_type_format check (length(aggregate_type) <= 64 and aggregate_type ~ '^[a-z][a-z0-9_]*$'),
        constraint event_store_event_type_format check (event_type ~ '^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$'),
        constraint event_store_version_positive check (version > 0),
        constraint event_store_payload_object check (jsonb_typeof(payload) = 'object'),
        constraint event_store_metadata_object check (jsonb_typeof(metadata) = 'object')
      )
    `)
    this.schema.raw(
      'create index event_store_user_tx_position_index on event_store (user_id, tx, position) where user_id is not null'
    )

    this.schema.raw(`
      create table event_journal (
        id bigint generated always as identity primary key,
        tx xid8 not null default pg_current_xact_id(),
        aggregate_type text not null,
        events integer not null check (events > 0),
        -- every aggregate was created in this transaction (a fan-out's alerts): version 1,
        -- the integrator skips the lookup of a previous version
        fresh boolean not null default false,
        -- columnar form: one event per aggregate id; payload = constants || {keys[k]: vals[k][i]}
        event_type text,
        aggregate_ids uuid[],
        keys text[],
        types text[],
        vals text[],
        constants jsonb not null default '{}'::jsonb,
        metadata jsonb,
        occurred_at timestamptz,
        -- generic form (small appends): [{a: aggregateId, t: eventType, p: payload, m: metadata, o: occurredAt}]
        items jsonb,
        created_at timestamptz not null default clock_timestamp(),
        constraint event_journal_one_form check (
          (items is null and aggregate_ids is not null and event_type is not null
             and metadata is not null and occurred_at is not null)
          or (items is not null and aggregate_ids is null)
        ),
        -- format checks without counted repetition, as every table here writes them
        constraint event_journal_aggregate_type_format check (
          length(aggregate_type) <= 64 and aggregate_type ~ '^[a-z][a-z0-9_]*$')
      )
    `)
    this.schema.raw('create index event_journal_tx_index on event_journal (tx)')

    // One journal row as its events, in order. Payload columns are sliced out of the
    // 2-D array once per row (a subscript per cell would detoast it per cell).
    this.schema.raw(`
      create or replace function event_journal_expand(from_tx xid8, to_tx xid8)
      returns table (journal_id bigint, tx xid8, ord bigint, aggregate_type text, aggregate_id uuid,
                     event_type text, payload jsonb, metadata jsonb, occurred_at timestamptz,
                     fresh boolean, created_at timestamptz)
      language sql stable as $$
        select j.id, j.tx, x.ord, j.aggregate_type, x.aggregate_id, j.event_type,
               j.constants || coalesce((
                 select jsonb_object_agg(k.key, case k.type
                          when 'numeric' then to_jsonb(k.v::numeric)
                          when 'boolean' then to_jsonb(k.v::boolean)
                          else to_jsonb(k.v) end)
                 from unnest(j.keys, j.types,
                             array[x.v1, x.v2, x.v3, x.v4, x.v5, x.v6, x.v7, x.v8, x.v9, x.v10]) k(key, type, v)
                 where k.key is not null), '{}'::jsonb),
               j.metadata, j.occurred_at, j.fresh, j.created_at
        from event_journal j
        cross join lateral unnest(j.aggregate_ids, j.vals[1:1], j.vals[2:2], j.vals[3:3], j.vals[4:4],
                                  j.vals[5:5], j.vals[6:6], j.vals[7:7], j.vals[8:8], j.vals[9:9], j.vals[10:10])
             with ordinality x(aggregate_id, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, ord)
        where j.items is null and j.tx >= from_tx and j.tx < to_tx
        union all
        select j.id, j.tx, i.ord, j.aggregate_type, (i.v->>'a')::uuid, i.v->>'t', i.v->'p', i.v->'m',
               (i.v->>'o')::timestamptz, j.fresh, j.created_at
        from event_journal j
        cross join lateral jsonb_array_elements(j.items) with ordinality i(v, ord)
        where j.items is not null and j.tx >= from_tx and j.tx < to_tx
      $$
    `)

    this.schema.raw(`
      create table event_store_blocks (
        block_no bigint primary key check (block_no > 0),
        -- the events with from_tx <= tx < to_tx, in (tx, position) order
        from_tx xid8 not null,
        to_tx xid8 not null,
        events integer not null check (events > 0),
        first_position bigint not null,
        last_position bigint not null,
        -- 32 bytes per event: SHA-256 of each event (event_leaf), in order
        leaves bytea not null,
        root bytea not null,
        prev_hash text,
        hash text not null,
        -- the oldest append it seals: sealed_at - oldest_append_at is the block's worst seal lag
        oldest_append_at timestamptz not null,
        sealed_at timestamptz not null default clock_timestamp(),
        constraint event_store_blocks_range check (to_tx > from_tx),
        constraint event_store_blocks_leaves check (octet_length(leaves) = 32 * events),
        constraint event_store_blocks_hash_unique unique (hash)
      )
    `)
    // An event's leaf is its content; its place in the order is its index among the
    // block's leaves, so a reorder shows as two leaves swapped. Declared STABLE like
    // to_char/convert_to inside it, so the planner inlines it.
    this.schema.raw(`
      create or replace function event_leaf(
        aggregate_type text, aggregate_id uuid, version int, event_type text,
        payload jsonb, metadata jsonb, occurred_at timestamptz, user_id uuid
      ) returns bytea language sql stable parallel safe as $$
        select sha256(convert_to(
          aggregate_type || E'\\n' ||
          aggregate_id::text || E'\\n' || version::text || E'\\n' || event_type || E'\\n' ||
          payload::text || E'\\n' || metadata::text || E'\\n' ||
          to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || E'\\n' ||
          coalesce(user_id::text, ''), 'UTF8'))
      $$
    `)
    this.schema.raw(`
      create or replace function event_block_hash(
        block_no bigint, from_tx xid8, to_tx xid8, events int, root bytea, prev_hash text
      ) returns text language sql immutable parallel safe as $$
        select encode(sha256(convert_to(
          block_no::text || E'\\n' || from_tx::text || E'\\n' || to_tx::text || E'\\n' ||
          events::text || E'\\n' || encode(root, 'hex') || E'\\n' || coalesce(prev_hash, ''), 'UTF8')), 'hex')
      $$
    `)
    // The integrator's bound: every transaction of THIS database below it has ended,
    // and none can start below it any more. pg_snapshot_xmin() would do, but it counts
    // every database of the cluster: an idle transaction elsewhere would stall sealing
    // here. The snapshot's xmax is taken first, then the running transactions are read
    // (the statistics snapshot cleared, so they are read now): one that starts between
    // the two has an xid at or above xmax. 32-bit xids are widened against xmax; running
    // ones above it (they took their xid after the snapshot) do not lower the bound.
    this.schema.raw(`
      create or replace function event_store_horizon() returns xid8 language plpgsql volatile as $$
      declare
        xmax bigint := pg_snapshot_xmax(pg_current_snapshot())::text::bigint;
        oldest bigint;
      begin
        perform pg_stat_clear_snapshot();
        -- the signed distance below xmax, in [-2^31, 2^31): a transaction that took its
        -- xid after the snapshot is above xmax, not four billion transactions below it
        select min(xmax - ((((xmax % 4294967296) - t.x::text::bigint) % 4294967296
                            + 4294967296 + 2147483648) % 4294967296 - 2147483648))
          into oldest
        from (
          select a.backend_xid as x from pg_stat_activity a
          where a.datname = current_database() and a.backend_xid is not null
            and a.pid <> pg_backend_pid()
          union all
          select p.transaction from pg_prepared_xacts p where p.database = current_database()
        ) t;
        return least(xmax, coalesce(oldest, xmax))::text::xid8;
      end
      $$
    `)
    // What readers may see: every event below it is integrated and sealed, and no
    // transaction can add one below it any more.
    this.schema.raw(`
      create or replace function event_store_sealed_bound() returns xid8 language sql stable as $$
        select coalesce((select b.to_tx from event_store_blocks b order by b.block_no desc limit 1), '0'::xid8)
      $$
    `)

    // ---- append-only ------------------------------------------------------------
    this.schema.raw(`
      create or replace function event_store_reject_change() returns trigger
      language plpgsql as $$
      begin
        raise exception 'event_store is append-only: % is not allowed', tg_op
          using errcode = 'restrict_violation';
      end
      $$
    `)
    this.schema.raw(`
      create trigger event_store_no_update_delete
        before update or delete on event_store
        for each row execute function event_store_reject_change()
    `)
    this.schema.raw(`
      create trigger event_store_no_truncate
        before truncate on event_store
        for each statement execute function event_store_reject_change()
    `)
    this.schema.raw(`
      create or replace function append_only_reject_change() returns trigger language plpgsql as $$
      begin
        raise exception '% is append-only: % is not allowed', tg_table_name, tg_op
          using errcode = 'restrict_violation';
      end
      $$
    `)
    this.schema.raw(`
      create trigger event_journal_no_update_delete before update or delete on event_journal
      for each row execute function append_only_reject_change()
    `)
    this.schema.raw(`
      create trigger event_journal_no_truncate before truncate on event_journal
      for each statement execute function append_only_reject_change()
    `)
    // Same shape as the store's guard: file 12 widens it for blocks an archive holds.
    this.schema.raw(`
      create or replace function event_store_blocks_reject_change() returns trigger language plpgsql as $$
      begin
        raise exception 'event_store_blocks is append-only: % is not allowed', tg_op
          using errcode = 'restrict_violation';
      end
      $$
    `)
    this.schema.raw(`
      create trigger event_store_blocks_no_update_delete before update or delete on event_store_blocks
      for each row execute function event_store_blocks_reject_change()
    `)
    this.schema.raw(`
      create trigger event_store_blocks_no_truncate before truncate on event_store_blocks
      for each statement execute function append_only_reject_change()
    `)

    // ---- wake-ups --------------------------------------------------------------
    // Appends wake the integrator ('event_store_pending'); a sealed block wakes the
    // readers ('event_store_appended', the channel they always listened on). The
    // integrator's own inserts set events.integrating and do not wake it again.
    this.schema.raw(`
      create or replace function event_store_notify() returns trigger language plpgsql as $$
      begin
        if coalesce(current_setting('events.integrating', true), '') <> 'on' then
          perform pg_notify('event_store_pending', '');
        end if;
        return null;
      end
      $$
    `)
    this.schema.raw(`
      create trigger event_store_notify after insert on event_store
      for each statement execute function event_store_notify()
    `)
    this.schema.raw(`
      create trigger event_journal_notify after insert on event_journal
      for each statement execute function event_store_notify()
    `)
    this.schema.raw(`
      create or replace function event_store_blocks_notify() returns trigger language plpgsql as $$
      begin
        perform pg_notify('event_store_appended', '');
        return null;
      end
      $$
    `)
    this.schema.raw(`
      create trigger event_store_blocks_notify after insert on event_store_blocks
      for each statement execute function event_store_blocks_notify()
    `)

    this.schema.raw(`
      create table event_store_gate (
        id integer primary key default 1 check (id = 1),
        enabled boolean not null,
        changed_at timestamptz not null default now()
      )
    `)
    this.schema.raw(`insert into event_store_gate (id, enabled) values (1, true)`)
  }

  async down() {
    this.schema.raw('drop table if exists event_store_gate')
    this.schema.raw('drop table if exists event_store_blocks')
    this.schema.raw('drop table if exists event_journal')
    this.schema.raw('drop table if exists event_store')
    this.schema.raw('drop function if exists event_store_blocks_notify()')
    this.schema.raw('drop function if exists event_store_notify()')
    this.schema.raw('drop function if exists event_store_blocks_reject_change()')
    this.schema.raw('drop function if exists append_only_reject_change()')
    this.schema.raw('drop function if exists event_store_reject_change()')
    this.schema.raw('drop function if exists event_store_sealed_bound()')
    this.schema.raw('drop function if exists event_store_horizon()')
    this.schema.raw(
      'drop function if exists event_block_hash(bigint, xid8, xid8, int, bytea, text)'
    )
    this.schema.raw(
      'drop function if exists event_leaf(text, uuid, int, text, jsonb, jsonb, timestamptz, uuid)'
    )
    this.schema.raw('drop function if exists event_journal_expand(xid8, xid8)')
  }
}
