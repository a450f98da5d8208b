import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Link codes are stored as the hex SHA-256 of the code: a code is a bearer
 * credential for 15 minutes (whoever sends it to the bot gets the user's
 * alerts in their chat), so a read of this table must not yield usable ones.
 * The codes are 192 random bits: a plain hash suffices. The column keeps its
 * name and format check (64 hex characters pass it).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(
      `update telegram_link_codes set code = encode(sha256(convert_to(code, 'UTF8')), 'hex')`
    )
    this.schema.raw(
      `comment on column telegram_link_codes.code is 'hex SHA-256 of the link code (the code itself is never stored)'`
    )
  }

  async down() {
    // a hash cannot be turned back into its code; codes live 15 minutes: ask for a new one
    this.schema.raw('delete from telegram_link_codes')
    this.schema.raw('comment on column telegram_link_codes.code is null')
  }
}
