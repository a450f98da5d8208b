import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Tamper evidence (docs/adr/0004): every event stores a SHA-256 over its
 * content and the hash of the previous version of the same aggregate.
 * `event_hash()` is the one definition, used by every writer and by
 * `node ace events:verify`. jsonb's text form is canonical (keys sorted,
 * whitespace normalised), so the same content always hashes the same.
 * Declared STABLE like to_char/convert_to inside it, so the planner inlines
 * it: declared IMMUTABLE it ran as a function call per row, ~20 µs each.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create function event_hash(
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
    this.schema.raw('alter table event_store add column hash text')
    // Chain what is already stored: one recursive pass, all aggregates at once, a
    // version per step; then, row by row, whatever an irregular history left over.
    this.schema.raw('alter table event_store disable trigger event_store_no_update_delete')
    this.schema.raw(`
      update event_store e set hash = c.hash
      from (
        with recursive c as (
          select id, aggregate_type, aggregate_id, version,
                 event_hash(null, aggregate_type, aggregate_id, version, event_type, payload, metadata, occurred_at) as hash
          from event_store where version = 1
          union all
          select n.id, n.aggregate_type, n.aggregate_id, n.version,
                 event_hash(c.hash, n.aggregate_type, n.aggregate_id, n.version, n.event_type, n.payload, n.metadata, n.occurred_at)
          from c join event_store n
            on n.aggregate_type = c.aggregate_type and n.aggregate_id = c.aggregate_id and n.version = c.version + 1
        )
        select id, hash from c
      ) c
      where e.id = c.id
    `)
    this.schema.raw(`
      do $$
      declare r record;
      begin
        for r in select id from event_store where hash is null order by aggregate_type, aggregate_id, version loop
          update event_store e set hash = event_hash(
            (select p.hash from event_store p where p.aggregate_type = e.aggregate_type
               and p.aggregate_id = e.aggregate_id and p.version = e.version - 1),
            e.aggregate_type, e.aggregate_id, e.version, e.event_type, e.payload, e.metadata, e.occurred_at)
          where e.id = r.id;
        end loop;
      end
      $$
    `)
    this.schema.raw('alter table event_store enable trigger event_store_no_update_delete')
    // Writers compute the hash in their INSERT (app/services/events/event_recorder.ts,
    // the fan-out); any other insert gets it here. WHEN keeps the trigger free for them.
    this.schema.raw(`
      create function event_store_fill_hash() returns trigger language plpgsql as $$
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
    this.schema.raw('alter table event_store alter column hash set not null')
  }

  async down() {
    this.schema.raw('drop trigger if exists event_store_fill_hash on event_store')
    this.schema.raw('drop function if exists event_store_fill_hash()')
    this.schema.raw('alter table event_store drop column if exists hash')
    this.schema.raw(
      'drop function if exists event_hash(text, text, uuid, int, text, jsonb, jsonb, timestamptz)'
    )
  }
}
