import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * event_store (phase-gated: the table always exists, FEATURE_EVENT_STORE gates
 * routes and jobs): the append-only log of everything that happened.
 *
 * - position: global order of insertion; (aggregate_type, aggregate_id, version)
 *   gives optimistic concurrency per aggregate.
 * - hash: tamper evidence (docs/adr/0004) — SHA-256 over the content and the
 *   hash of the previous version of the same aggregate. `event_hash()` is the one
 *   definition, used by every writer and by `node ace events:verify`. jsonb's text
 *   form is canonical, so the same content always hashes the same.
 * - user_id: whose event it is — the user aggregate itself, or the `userId`
 *   every user-owned event carries in its payload. Generated, so no writer can
 *   forget it. Signals and system events have none.
 * - tx: the writing transaction. `position` is taken when a row is inserted, not
 *   when it commits, so readers page by (tx, position) over transactions older
 *   than the oldest one still running (pg_snapshot_xmin): that set never changes.
 *
 * Append-only, enforced by the database: an UPDATE, DELETE or TRUNCATE fails
 * (12_create_event_store_archives_table.ts lets one thing through: deleting
 * events an archive checkpoint covers). Each inserting statement NOTIFYs
 * `event_store_appended` so live readers wake up.
 *
 * event_store_gate: whether the store was on when a process last started, so
 * that turning FEATURE_EVENT_STORE back on records `system.event_store_enabled`
 * once and the history says where its gap is.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create table event_store (
        id uuid primary key default uuid_generate_v7(),
        position bigserial not null,
        aggregate_type text not null,
        aggregate_id uuid not null,
        version integer not null,
        event_type text not null,
        payload jsonb not null default '{}'::jsonb,
        metadata jsonb not null default '{}'::jsonb,
        occurred_at timestamptz not null default now(),
        created_at timestamptz not null default now(),
        hash text not null,
        user_id uuid generated always as (
          case when aggregate_type = 'user' then aggregate_id
               else (payload->>'userId')::uuid end
        ) stored,
        tx xid8 not null default pg_current_xact_id(),
        constraint event_store_position_unique unique (position),
        constraint event_store_aggregate_version_unique unique (aggregate_type, aggregate_id, version),
        constraint event_store_aggregate_type_format check (length(aggregate_type) <= 64 and aggregate_type ~ '^[a-z][a-z0-9_]*$'),
        constraint event_store_event_type_format check (event_type ~ '^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$'),
        constraint event_store_version_positive check (version > 0),
        constraint event_store_payload_object check (jsonb_typeof(payload) = 'object'),
        constraint event_store_metadata_object check (jsonb_typeof(metadata) = 'object')
      )
    `)
    this.schema.raw(
      'create index event_store_event_type_occurred_at_index on event_store (event_type, occurred_at)'
    )
    this.schema.raw(
      'create index event_store_user_tx_position_index on event_store (user_id, tx, position) where user_id is not null'
    )

    // Declared STABLE like to_char/convert_to inside it, so the planner inlines
    // it: declared IMMUTABLE it ran as a function call per row, ~20 µs each.
    this.schema.raw(`
      create or replace function event_hash(
        prev text, aggregate_type text, aggregate_id uuid, version int, event_type text,
        payload jsonb, metadata jsonb, occurred_at timestamptz
      ) returns text language sql stable parallel safe as $$
        select encode(sha256(convert_to(
          coalesce(prev, '') || E'\\n' || aggregate_type || E'\\n' || aggregate_id::text || E'\\n' ||
          version::text || E'\\n' || event_type || E'\\n' || payload::text || E'\\n' || metadata::text || E'\\n' ||
          to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
          'UTF8')), 'hex')
      $$
    `)
    // Writers compute the hash in their INSERT (app/services/events/event_recorder.ts,
    // the fan-out); any other insert gets it here. WHEN keeps the trigger free for them.
    this.schema.raw(`
      create or replace function event_store_fill_hash() returns trigger language plpgsql as $$
      begin
        new.hash := event_hash(
          (select e.hash from event_store e
            where e.aggregate_type = new.aggregate_type and e.aggregate_id = new.aggregate_id
              and e.version = new.version - 1),
          new.aggregate_type, new.aggregate_id, new.version, new.event_type,
          new.payload, new.metadata, new.occurred_at);
        return new;
      end
      $$
    `)
    this.schema.raw(`
      create trigger event_store_fill_hash before insert on event_store
      for each row when (new.hash is null) execute function event_store_fill_hash()
    `)

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

    // One NOTIFY per inserting statement, no payload: PostgreSQL folds identical
    // notifications of one transaction into one, so a fan-out of 100k alert
    // events costs a single notification. Readers still poll on a timer.
    this.schema.raw(`
      create or replace function event_store_notify() returns trigger language plpgsql as $$
      begin
        perform pg_notify('event_store_appended', '');
        return null;
      end
      $$
    `)
    this.schema.raw(`
      create trigger event_store_notify after insert on event_store
      for each statement execute function event_store_notify()
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
    this.schema.raw('drop table if exists event_store')
    this.schema.raw('drop function if exists event_store_notify()')
    this.schema.raw('drop function if exists event_store_reject_change()')
    this.schema.raw('drop function if exists event_store_fill_hash()')
    this.schema.raw(
      'drop function if exists event_hash(text, text, uuid, int, text, jsonb, jsonb, timestamptz)'
    )
  }
}
