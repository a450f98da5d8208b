import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * What delivery needs besides the alerts outbox:
 * - delivery_pacing: shared send slots (bot-wide and per Telegram chat) and the
 *   one-drainer-per-channel lease, so limits hold across any number of workers.
 * - telegram_link_codes: single-use codes that tie a Telegram chat to a user,
 *   stored as the hex SHA-256 of the code: a code is a bearer credential for 15
 *   minutes, so a read of this table must not yield usable ones. The codes are
 *   192 random bits: a plain hash suffices.
 * - digest_runs: one daily digest per user and local date, however many
 *   workers look.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create table delivery_pacing (
        key text primary key,
        next_at timestamptz not null,
        holder text
      )
    `)
    this.schema.raw(`
      create table telegram_link_codes (
        code text primary key,
        user_id uuid not null references users (id) on delete cascade,
        expires_at timestamptz not null,
        used_at timestamptz,
        created_at timestamptz not null default now(),
        constraint telegram_link_codes_code_format check (length(code) between 16 and 64 and code ~ '^[A-Za-z0-9_-]+$')
      )
    `)
    this.schema.raw(
      `comment on column telegram_link_codes.code is 'hex SHA-256 of the link code (the code itself is never stored)'`
    )
    this.schema.raw(
      'create index telegram_link_codes_user_id_index on telegram_link_codes (user_id)'
    )
    this.schema.raw(`
      create table digest_runs (
        user_id uuid not null references users (id) on delete cascade,
        local_date date not null,
        alert_id uuid references alerts (id) on delete set null,
        created_at timestamptz not null default now(),
        primary key (user_id, local_date)
      )
    `)
  }

  async down() {
    this.schema.raw('drop table if exists digest_runs')
    this.schema.raw('drop table if exists telegram_link_codes')
    this.schema.raw('drop table if exists delivery_pacing')
  }
}
