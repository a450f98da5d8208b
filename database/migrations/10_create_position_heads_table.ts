import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * position_heads: the newest snapshot of each (user, protocol, chain) and the
 * symbols it holds (collateral and debt, upper-cased). Signal fan-out targets
 * "users whose latest positions hold the asset" through its GIN index instead
 * of a DISTINCT ON over every snapshot ever stored.
 *
 * Kept by a statement-level trigger on positions (one set-based upsert per
 * INSERT statement, whoever inserts: the ingest, seeders, factories, bulk
 * loads). An older snapshot (a backfill) never replaces a newer head.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create table position_heads (
        user_id uuid not null references users (id) on delete cascade,
        protocol text not null,
        chain_id integer not null,
        snapshot_id uuid not null,
        snapshot_at timestamptz not null,
        symbols text[] not null,
        primary key (user_id, protocol, chain_id)
      )
    `)
    this.schema.raw(
      'create index position_heads_symbols_index on position_heads using gin (symbols)'
    )
    this.schema.raw(`
      create or replace function position_heads_after_insert() returns trigger language plpgsql as $$
      begin
        insert into position_heads as h (user_id, protocol, chain_id, snapshot_id, snapshot_at, symbols)
        select distinct on (n.user_id, n.protocol, n.chain_id)
               n.user_id, n.protocol, n.chain_id, n.id, n.snapshot_at,
               array(select distinct upper(a->>'symbol')
                     from jsonb_array_elements(n.collateral || n.debt) a
                     where a->>'symbol' is not null)
        from new_rows n
        order by n.user_id, n.protocol, n.chain_id, n.snapshot_at desc
        on conflict (user_id, protocol, chain_id) do update
          set snapshot_id = excluded.snapshot_id, snapshot_at = excluded.snapshot_at,
              symbols = excluded.symbols
          where excluded.snapshot_at > h.snapshot_at;
        return null;
      end
      $$
    `)
    this.schema.raw(`
      create trigger positions_maintain_heads after insert on positions
      referencing new table as new_rows
      for each statement execute function position_heads_after_insert()
    `)
  }

  async down() {
    this.schema.raw('drop trigger if exists positions_maintain_heads on positions')
    this.schema.raw('drop table if exists position_heads')
    this.schema.raw('drop function if exists position_heads_after_insert()')
  }
}
