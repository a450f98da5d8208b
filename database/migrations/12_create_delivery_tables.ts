import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * What delivery needs (issue 6):
 * - alerts.claimed_until: a sender's lease on a pending alert. The alerts table
 *   is the outbox: a sender claims due rows (SKIP LOCKED) until this instant;
 *   if it dies before marking them, the lease runs out and another sender takes
 *   them again (at-least-once: such an alert may be sent twice).
 * - delivery_pacing: shared send slots (bot-wide and per Telegram chat) and the
 *   one-drainer-per-channel lease, so limits hold across any number of workers.
 * - telegram_link_codes: single-use codes that tie a Telegram chat to a user.
 * - users.webhook_secret: the per-user HMAC key of the webhook channel,
 *   encrypted with APP_KEY (it must be readable to sign, so it is not hashed).
 * - digest_runs: one daily digest per user and local date, however many
 *   workers look.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw('alter table alerts add column claimed_until timestamptz')
    this.schema.raw(
      `create index alerts_due_index on alerts (channel, id) where status = 'pending'`
    )
    this.schema.raw('alter table users add column webhook_secret text')
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
        constraint telegram_link_codes_code_format check (code ~ '^[A-Za-z0-9_-]{16,64}$')
      )
    `)
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
    this.schema.raw('alter table users drop column if exists webhook_secret')
    this.schema.raw('drop index if exists alerts_due_index')
    this.schema.raw('alter table alerts drop column if exists claimed_until')
  }
}
