import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * signals: market events from feeds. A feed that re-sends the same detection
 * (same type, asset and instant) does not create a second signal — nor a
 * second round of alerts: (type, asset, detected_at) is the natural key.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create table signals (
        id uuid primary key default uuid_generate_v7(),
        type text not null,
        asset text not null,
        severity text not null,
        data jsonb not null default '{}'::jsonb,
        detected_at timestamptz not null,
        expires_at timestamptz,
        status text not null default 'active',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint signals_type_asset_detected_at_unique unique (type, asset, detected_at),
        constraint signals_type_format check (length(type) <= 64 and type ~ '^[a-z][a-z0-9_]*$'),
        constraint signals_asset_format check (length(asset) between 1 and 32),
        constraint signals_severity_check check (severity in ('low', 'medium', 'high', 'critical')),
        constraint signals_status_check check (status in ('active', 'expired', 'acknowledged')),
        constraint signals_data_object check (jsonb_typeof(data) = 'object'),
        constraint signals_expiry_after_detection check (expires_at is null or expires_at > detected_at)
      )
    `)
    this.schema.raw(
      'create index signals_type_detected_at_index on signals (type, detected_at desc)'
    )
    this.schema.raw('create index signals_asset_status_index on signals (asset, status)')
    this.schema.raw(
      'create index signals_status_detected_at_index on signals (status, detected_at desc)'
    )
  }

  async down() {
    this.schema.raw('drop table if exists signals')
  }
}
