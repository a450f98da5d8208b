import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * price_history: each asset's USD price per chain on an hourly grid — the
 * series the liquidation-probability model learns volatility from
 * (docs/adr/0013). An asset is its lower-cased address when the snapshot
 * gives one, else its upper-cased symbol (`asset_key`).
 *
 * One row per (chain, asset, hour): the first observation recorded for the
 * hour is its sample, later ones in the same hour are not averaged in
 * (ON CONFLICT DO NOTHING: no row lock on an existing hour, so concurrent
 * ingests never queue behind each other here, except briefly on the first
 * write of an hour). A zero or negative price is an outlier and refused.
 * Filled set-based by ingest (app/infrastructure/database/queries/price_history.ts)
 * and, when chain sync lands, from oracle reads (`source = 'oracle'`).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create table price_history (
        chain_id integer not null,
        asset_key text not null,
        symbol text not null,
        hour timestamptz not null,
        price_usd numeric not null check (price_usd > 0),
        observed_at timestamptz not null,
        source text not null check (source in ('snapshot', 'oracle')),
        created_at timestamptz not null default now(),
        primary key (chain_id, asset_key, hour),
        check (hour = date_trunc('hour', hour, 'UTC')),
        check (observed_at >= hour and observed_at < hour + interval '1 hour')
      )
    `)
  }

  async down() {
    this.schema.raw('drop table if exists price_history')
  }
}
