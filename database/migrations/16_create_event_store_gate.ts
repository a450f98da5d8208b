import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Whether the event store was on when a process last started, so that turning
 * FEATURE_EVENT_STORE back on records `system.event_store_enabled` once: the
 * history then says where its gap is.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create table event_store_gate (
        id integer primary key default 1 check (id = 1),
        enabled boolean not null,
        changed_at timestamptz not null default now()
      )
    `)
    this.schema.raw(`insert into event_store_gate (id, enabled) values (1, true)`)
  }

  async down() {
    this.schema.raw('drop table if exists event_store_gate')
  }
}
