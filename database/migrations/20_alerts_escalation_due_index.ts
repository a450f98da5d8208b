import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The escalation job runs every minute on every worker pool; it looks only
 * for critical alerts nobody acknowledged and nobody escalated yet. Partial:
 * the index holds just those (a handful), not the whole alerts table.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create index alerts_escalation_due_index on alerts (created_at)
      where severity = 'critical' and status <> 'acknowledged'
        and (metadata->>'escalatedAt') is null and (metadata->>'escalationOf') is null
    `)
  }

  async down() {
    this.schema.raw('drop index if exists alerts_escalation_due_index')
  }
}
