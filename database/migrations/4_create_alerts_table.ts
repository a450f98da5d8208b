import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * alerts: one message to one user on one channel. The table is also the
 * delivery outbox (docs/adr/0003): pending rows are the work; a sender claims
 * due rows (SKIP LOCKED) until `claimed_until`, and if it dies before settling
 * them the lease runs out and another sender takes them again (at-least-once).
 * `deliver_after`: when a channel may send the alert (the end of the user's
 * quiet hours for non-critical alerts; null = at once).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create table alerts (
        id uuid primary key default uuid_generate_v7(),
        user_id uuid not null references users (id) on delete cascade,
        signal_id uuid references signals (id) on delete set null,
        type text not null,
        severity text not null,
        channel text not null,
        message text not null,
        metadata jsonb not null default '{}'::jsonb,
        status text not null default 'pending',
        attempts integer not null default 0,
        last_error text,
        sent_at timestamptz,
        acknowledged_at timestamptz,
        deliver_after timestamptz,
        claimed_until timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint alerts_type_format check (length(type) <= 64 and type ~ '^[a-z][a-z0-9_]*$'),
        constraint alerts_severity_check check (severity in ('low', 'medium', 'high', 'critical')),
        constraint alerts_channel_check check (channel in ('telegram', 'email', 'in_app', 'webhook')),
        constraint alerts_status_check check (status in ('pending', 'sent', 'failed', 'acknowledged')),
        constraint alerts_attempts_non_negative check (attempts >= 0),
        constraint alerts_metadata_object check (jsonb_typeof(metadata) = 'object'),
        -- one alert per (user, signal, channel), however often a signal is retried
        constraint alerts_user_signal_channel_unique unique (user_id, signal_id, channel)
      )
    `)
    this.schema.raw(
      'create index alerts_user_id_status_created_at_index on alerts (user_id, status, created_at desc)'
    )
    this.schema.raw(
      'create index alerts_status_created_at_index on alerts (status, created_at desc)'
    )
    // The unique constraint leads with user_id; signal_id needs its own index
    // so ON DELETE SET NULL from signals does not scan alerts.
    this.schema.raw(
      'create index alerts_signal_id_index on alerts (signal_id) where signal_id is not null'
    )
    // What senders look for: pending alerts of a channel whose time has come.
    this.schema.raw(
      `create index alerts_pending_deliver_after_index on alerts (deliver_after) where status = 'pending'`
    )
    this.schema.raw(
      `create index alerts_due_index on alerts (channel, id) where status = 'pending'`
    )
    // The escalation job runs every minute on every worker pool and looks only
    // for critical alerts nobody acknowledged or escalated yet: a handful of rows.
    this.schema.raw(`
      create index alerts_escalation_due_index on alerts (created_at)
      where severity = 'critical' and status <> 'acknowledged'
        and (metadata->>'escalatedAt') is null and (metadata->>'escalationOf') is null
    `)
  }

  async down() {
    this.schema.raw('drop table if exists alerts')
  }
}
