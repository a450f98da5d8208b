import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Retention without breaking the chain (docs/adr/0012). `node ace events:archive`
 * moves the oldest whole blocks — each block with its events — into a compressed
 * file, records it here (first and last block, the last block's hash, the file's
 * SHA-256) and leaves, per aggregate, a checkpoint: the version and position of its
 * last archived event and its state folded up to it. The first remaining block
 * still links to the archived one's hash, a replay starts from the checkpoints, and
 * the next version of a fully archived aggregate continues from its checkpoint.
 *
 * Archives and checkpoints are append-only like the store. The store's guards
 * (6_create_event_store_table.ts) are widened here to let one thing through:
 * deleting the events a checkpoint covers and the blocks an archive holds.
 * down() puts both guards back as file 6 made them.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create table event_store_archives (
        id uuid primary key,
        before timestamptz not null,
        file_name text not null,
        file_sha256 text not null,
        events integer not null check (events > 0),
        aggregates integer not null check (aggregates > 0),
        first_position bigint not null,
        last_position bigint not null,
        first_block bigint,
        last_block bigint,
        last_block_hash text,
        created_at timestamptz not null default now(),
        constraint event_store_archives_sha256_unique unique (file_sha256)
      )
    `)
    this.schema.raw(`
      create table event_store_checkpoints (
        aggregate_type text not null,
        aggregate_id uuid not null,
        version integer not null check (version > 0),
        hash text not null,
        position bigint not null,
        occurred_at timestamptz not null,
        user_id uuid,
        state jsonb not null,
        -- written before the archive row, which needs the finished file's digest
        archive_id uuid not null references event_store_archives (id) deferrable initially deferred,
        primary key (aggregate_type, aggregate_id, version)
      )
    `)
    this.schema.raw(
      'create index event_store_checkpoints_user_index on event_store_checkpoints (user_id) where user_id is not null'
    )
    this.schema.raw(
      'create index event_store_checkpoints_archive_index on event_store_checkpoints (archive_id)'
    )

    // append_only_reject_change() is the store's (6_create_event_store_table.ts).
    for (const table of ['event_store_archives', 'event_store_checkpoints']) {
      this.schema.raw(`
        create trigger ${table}_no_update_delete before update or delete on ${table}
        for each row execute function append_only_reject_change()
      `)
      this.schema.raw(`
        create trigger ${table}_no_truncate before truncate on ${table}
        for each statement execute function append_only_reject_change()
      `)
    }

    // Same trigger name as before (tests and operators lift it by name).
    this.schema.raw(`
      create or replace function event_store_reject_change() returns trigger
      language plpgsql as $$
      begin
        if tg_op = 'DELETE' and exists (
          select 1 from event_store_checkpoints c
          where c.aggregate_type = old.aggregate_type and c.aggregate_id = old.aggregate_id
            and c.version >= old.version
        ) then
          return old;
        end if;
        raise exception 'event_store is append-only: % is not allowed', tg_op
          using errcode = 'restrict_violation',
                hint = 'only events covered by an archive checkpoint (node ace events:archive) can be removed';
      end
      $$
    `)
    // A block leaves only into an archive that recorded it (events:archive).
    this.schema.raw(`
      create or replace function event_store_blocks_reject_change() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' and exists (
          select 1 from event_store_archives a where a.last_block >= old.block_no
        ) then
          return old;
        end if;
        raise exception 'event_store_blocks is append-only: % is not allowed', tg_op
          using errcode = 'restrict_violation';
      end
      $$
    `)
  }

  async down() {
    this.schema.raw(`
      create or replace function event_store_blocks_reject_change() returns trigger language plpgsql as $$
      begin
        raise exception 'event_store_blocks is append-only: % is not allowed', tg_op
          using errcode = 'restrict_violation';
      end
      $$
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
    this.schema.raw('drop table if exists event_store_checkpoints')
    this.schema.raw('drop table if exists event_store_archives')
  }
}
