import { BaseSchema } from '@adonisjs/lucid/schema'

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
        constraint event_store_position_unique unique (position),
        constraint event_store_aggregate_version_unique unique (aggregate_type, aggregate_id, version),
        constraint event_store_aggregate_type_format check (aggregate_type ~ '^[a-z][a-z0-9_]{0,63}$'),
        constraint event_store_event_type_format check (event_type ~ '^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$'),
        constraint event_store_version_positive check (version > 0),
        constraint event_store_payload_object check (jsonb_typeof(payload) = 'object'),
        constraint event_store_metadata_object check (jsonb_typeof(metadata) = 'object')
      )
    `)
    this.schema.raw(
      'create index event_store_event_type_occurred_at_index on event_store (event_type, occurred_at)'
    )

    // Append-only, enforced by the database itself: whatever the application
    // does, an UPDATE, DELETE or TRUNCATE of the log fails.
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
  }

  async down() {
    this.schema.raw('drop table if exists event_store')
    this.schema.raw('drop function if exists event_store_reject_change()')
  }
}
