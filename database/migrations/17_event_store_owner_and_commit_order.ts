import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * What GET /api/v1/events needs:
 * - user_id: whose event it is — the user aggregate itself, or the `userId`
 *   every user-owned event carries in its payload (alerts, intents, positions).
 *   Generated, so no writer can forget it. Signals and system events have none.
 * - tx: the writing transaction's id. `position` (a sequence) is taken when a
 *   row is inserted, not when it commits, so a reader paging by position alone
 *   can pass a position whose transaction commits later and miss it for good.
 *   Readers page by (tx, position) and only over transactions older than the
 *   oldest one still running (pg_snapshot_xmin): that set never changes again.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      alter table event_store
        add column user_id uuid generated always as (
          case when aggregate_type = 'user' then aggregate_id
               else (payload->>'userId')::uuid end
        ) stored,
        add column tx xid8 not null default pg_current_xact_id()
    `)
    this.schema.raw(
      'create index event_store_user_tx_position_index on event_store (user_id, tx, position) where user_id is not null'
    )
  }

  async down() {
    this.schema.raw('drop index if exists event_store_user_tx_position_index')
    this.schema.raw(
      'alter table event_store drop column if exists tx, drop column if exists user_id'
    )
  }
}
