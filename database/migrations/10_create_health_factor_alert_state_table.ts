import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Per position (user, protocol, chain): where the health-factor alert rule
 * stands, so a noisy feed cannot cause an alert storm. See
 * app/domain/alerts/health_factor_rule.ts for the rule this state serves.
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
  }

  async down() {
    this.schema.raw('drop table if exists health_factor_alert_state')
  }
}
