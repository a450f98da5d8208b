import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  async up() {
    // Phase-gated feature: the table always exists, FEATURE_INTENTS gates routes and jobs.
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
        constraint intents_protocol_format check (protocol ~ '^[a-z][a-z0-9_]{0,63}$'),
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
  }

  async down() {
    this.schema.raw('drop table if exists intents')
  }
}
