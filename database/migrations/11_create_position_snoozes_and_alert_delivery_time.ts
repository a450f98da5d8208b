import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * - position_snoozes: a user mutes one position's alerts until an instant.
 * - alerts.deliver_after: when a channel may send the alert (the end of the
 *   user's quiet hours for non-critical alerts; null = at once). Senders pick
 *   pending alerts whose time has come.
 */
export default class extends BaseSchema {
  async up() {
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
    this.schema.raw('alter table alerts add column deliver_after timestamptz')
    this.schema.raw(
      `create index alerts_pending_deliver_after_index on alerts (deliver_after) where status = 'pending'`
    )
  }

  async down() {
    this.schema.raw('drop index if exists alerts_pending_deliver_after_index')
    this.schema.raw('alter table alerts drop column if exists deliver_after')
    this.schema.raw('drop table if exists position_snoozes')
  }
}
