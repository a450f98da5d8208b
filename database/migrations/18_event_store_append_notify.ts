import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Wakes live readers (GET /alerts/stream) when events are appended. One
 * NOTIFY per inserting statement, no payload, no row inspected: PostgreSQL
 * folds identical notifications of one transaction into one, so a fan-out of
 * 100k alert events costs a single notification. Readers still poll on a
 * timer; the notification only shortens the wait.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create function event_store_notify() returns trigger language plpgsql as $$
      begin
        perform pg_notify('event_store_appended', '');
        return null;
      end
      $$
    `)
    this.schema.raw(`
      create trigger event_store_notify after insert on event_store
      for each statement execute function event_store_notify()
    `)
  }

  async down() {
    this.schema.raw('drop trigger if exists event_store_notify on event_store')
    this.schema.raw('drop function if exists event_store_notify()')
  }
}
