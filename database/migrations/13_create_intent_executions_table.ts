import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * intent_executions: each time an intent fired — on which snapshot, what the
 * condition saw, and the prepared, unsigned transaction (null with a note
 * when none could be prepared). One per (intent, snapshot): a retried batch
 * does not fire twice. Plus the index the per-batch evaluation reads.
 */
export default class extends BaseSchema {
  async up() {
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
    // Evaluation looks up the active intents of the positions in a batch.
    this.schema.raw(
      `create index intents_active_position_index on intents (user_id, protocol, chain_id)
       where status = 'active' and deleted_at is null`
    )
  }

  async down() {
    this.schema.raw('drop index if exists intents_active_position_index')
    this.schema.raw('drop table if exists intent_executions')
  }
}
