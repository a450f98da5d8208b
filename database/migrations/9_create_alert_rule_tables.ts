import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * What the health-factor alert rule keeps per position (user, protocol, chain):
 * - health_factor_alert_state: where the rule stands (armed, band, last alert),
 *   so a noisy feed cannot cause an alert storm. The rule itself is
 *   app/domain/alerts/health_factor_rule.ts.
 * - position_snoozes: a user mutes one position's alerts until an instant.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create table health_factor_alert_state (
        user_id uuid not null references users (id) on delete cascade,
        protocol text not null,
        chain_id integer not null,
        armed boolean not null default true,
        band text,
        last_alert_at timestamptz,
        last_snapshot_at timestamptz not null,
        updated_at timestamptz not null default now(),
        primary key (user_id, protocol, chain_id),
        constraint health_factor_alert_state_band_check check (band is null or band in ('low', 'critical'))
      )
    `)
    this.schema.raw(`
      create table position_snoozes (
        user_id uuid not null references users (id) on delete cascade,
        protocol text not null,
        chain_id integer not null,
        until timestamptz not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        primary key (user_id, protocol, chain_id)
      )
    `)
  }

  async down() {
    this.schema.raw('drop table if exists position_snoozes')
    this.schema.raw('drop table if exists health_factor_alert_state')
  }
}
