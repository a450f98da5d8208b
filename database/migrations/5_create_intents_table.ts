import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * intents (phase-gated: the tables always exist, FEATURE_INTENTS gates routes
 * and jobs) and intent_executions: each time an intent fired — on which
 * snapshot, what the condition saw, and the prepared, unsigned transaction
 * (null with a note when none could be prepared). One execution per (intent,
 * snapshot): a retried batch does not fire twice.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create table intents (
        id uuid primary key default uuid_generate_v7(),
        user_id uuid not null references users (id) on delete cascade,
        name text,
        protocol text not null,
        chain_id integer not null default 1,
        condition jsonb not null,
        action jsonb not null,
        status text not null default 'active',
        cooldown integer not null default 3600, -- seconds between two triggers
        max_executions integer,
        executions_count integer not null default 0,
        last_triggered_at timestamptz,
        expires_at timestamptz,
        deleted_at timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint intents_name_length check (name is null or length(name) <= 120),
        constraint intents_protocol_format check (length(protocol) <= 64 and protocol ~ '^[a-z][a-z0-9_]*$'),
        constraint intents_chain_id_positive check (chain_id > 0),
        constraint intents_condition_object check (jsonb_typeof(condition) = 'object'),
        constraint intents_action_object check (jsonb_typeof(action) = 'object'),
        constraint intents_status_check check (status in ('active', 'paused', 'triggered', 'cancelled', 'expired')),
        constraint intents_cooldown_non_negative check (cooldown >= 0),
        constraint intents_max_executions_positive check (max_executions is null or max_executions > 0),
        constraint intents_executions_count_non_negative check (executions_count >= 0)
      )
    `)
    this.schema.raw('create index intents_user_id_status_index on intents (user_id, status)')
    this.schema.raw(
      'create index intents_status_protocol_chain_id_index on intents (status, protocol, chain_id)'
    )
    // Evaluation looks up the active intents of the positions in a batch.
    this.schema.raw(
      `create index intents_active_position_index on intents (user_id, protocol, chain_id)
       where status = 'active' and deleted_at is null`
    )

    this.schema.raw(`
      create table intent_executions (
        id uuid primary key default uuid_generate_v7(),
        intent_id uuid not null references intents (id) on delete cascade,
        user_id uuid not null references users (id) on delete cascade,
        snapshot_id uuid references positions (id) on delete set null,
        condition jsonb not null,
        action jsonb not null,
        transaction jsonb,
        note text,
        alert_id uuid references alerts (id) on delete set null,
        created_at timestamptz not null default now(),
        constraint intent_executions_intent_snapshot_unique unique (intent_id, snapshot_id),
        constraint intent_executions_transaction_or_note check (transaction is not null or note is not null)
      )
    `)
    this.schema.raw(
      'create index intent_executions_intent_id_id_index on intent_executions (intent_id, id desc)'
    )
    this.schema.raw(
      'create index intent_executions_snapshot_id_index on intent_executions (snapshot_id) where snapshot_id is not null'
    )
  }

  async down() {
    this.schema.raw('drop table if exists intent_executions')
    this.schema.raw('drop table if exists intents')
  }
}
