import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * positions: snapshots of lending positions. Immutable: no updated_at.
 * health_factor null means no debt (infinite). The newest snapshot of each
 * position is mirrored in position_heads (10_create_position_heads_table.ts).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create table positions (
        id uuid primary key default uuid_generate_v7(),
        user_id uuid not null references users (id) on delete cascade,
        wallet_address text not null,
        protocol text not null,
        chain_id integer not null default 1,
        health_factor numeric,
        collateral jsonb not null default '[]'::jsonb,
        debt jsonb not null default '[]'::jsonb,
        metadata jsonb not null default '{}'::jsonb,
        snapshot_at timestamptz not null,
        created_at timestamptz not null default now(),
        constraint positions_wallet_address_format check (length(wallet_address) = 42 and wallet_address ~ '^0x[0-9a-f]+$'),
        constraint positions_protocol_format check (length(protocol) <= 64 and protocol ~ '^[a-z][a-z0-9_]*$'),
        constraint positions_chain_id_positive check (chain_id > 0),
        constraint positions_health_factor_non_negative check (health_factor is null or health_factor >= 0),
        constraint positions_collateral_array check (jsonb_typeof(collateral) = 'array'),
        constraint positions_debt_array check (jsonb_typeof(debt) = 'array'),
        constraint positions_metadata_object check (jsonb_typeof(metadata) = 'object'),
        -- a retried ingest of the same snapshot is not stored twice
        constraint positions_user_protocol_chain_snapshot_unique unique (user_id, protocol, chain_id, snapshot_at)
      )
    `)
    this.schema.raw(
      'create index positions_user_id_snapshot_at_index on positions (user_id, snapshot_at desc)'
    )
    this.schema.raw(
      'create index positions_wallet_address_protocol_index on positions (wallet_address, protocol)'
    )
  }

  async down() {
    this.schema.raw('drop table if exists positions')
  }
}
