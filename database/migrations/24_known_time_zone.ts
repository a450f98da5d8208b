import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * `known_time_zone(tz)`: the zone when PostgreSQL knows it, 'UTC' otherwise.
 * The statements that read users' zones (the signal fan-out, the digests)
 * serve many users at once; one zone PostgreSQL does not know — a name
 * luxon accepts and tzdata dropped, or one a tzdata upgrade removes later —
 * would fail the whole statement, and every user with it. Called once per
 * distinct zone, not per user: the exception block costs a subtransaction.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create function known_time_zone(tz text) returns text language plpgsql stable as $$
      begin
        perform now() at time zone tz;
        return tz;
      exception when invalid_parameter_value then
        return 'UTC';
      end
      $$
    `)
  }

  async down() {
    this.schema.raw('drop function if exists known_time_zone(text)')
  }
}
