import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Where the liquidation-probability alert rule stands per position (user,
 * protocol, chain): armed, band, last alert — the same hysteresis and
 * cooldown as the health-factor rule (9_create_alert_rule_tables.ts), kept
 * apart so each rule re-arms on its own measure. The rule is
 * `evaluateLiquidationProbability` in app/domain/alerts/health_factor_rule.ts.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create table liquidation_probability_alert_state (
        user_id uuid not null references users (id) on delete cascade,
        protocol text not null,
        chain_id integer not null,
        armed boolean not null default true,
        band text,
        last_alert_at timestamptz,
        last_snapshot_at timestamptz not null,
        updated_at timestamptz not null default now(),
        primary key (user_id, protocol, chain_id),
        constraint liquidation_probability_alert_state_band_check check (band is null or band in ('low', 'critical'))
      )
    `)
  }

  async down() {
    this.schema.raw('drop table if exists liquidation_probability_alert_state')
  }
}
