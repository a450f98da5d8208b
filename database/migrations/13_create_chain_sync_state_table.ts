import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * chain_sync_state: one row per configured chain, written by every sync round
 * (issue 24). What `GET /api/v1/chains` and `/health/ready` report, and how the
 * stale alert knows it already went out for the current outage.
 *
 * - latest_block / latest_block_hash / latest_block_at: the block the last
 *   successful round read at (every snapshot of that round carries the same);
 * - last_success_at: the end of that round; a chain whose last success is older
 *   than CHAIN_STALE_MINUTES is stale;
 * - last_error / last_error_at: the newest failure, cleared by the next success;
 * - stale_alerted_at: when the users were told about the current outage (null
 *   again once reads succeed), so one outage alerts each user once.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create table chain_sync_state (
        chain_id integer primary key check (chain_id > 0),
        latest_block bigint check (latest_block >= 0),
        latest_block_hash text check (length(latest_block_hash) = 66 and latest_block_hash ~ '^0x[0-9a-f]+$'),
        latest_block_at timestamptz,
        last_success_at timestamptz,
        last_attempt_at timestamptz,
        last_error text,
        last_error_at timestamptz,
        stale_alerted_at timestamptz,
        snapshots_written bigint not null default 0 check (snapshots_written >= 0),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )
    `)
  }

  async down() {
    this.schema.raw('drop table if exists chain_sync_state')
  }
}
