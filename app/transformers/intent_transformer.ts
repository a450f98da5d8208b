import type { Intent } from '#models'
import type { ExecutionRow } from '#services/intents/intents'

export function intentToJson(intent: Intent) {
  return {
    id: intent.id,
    name: intent.name,
    walletAddress: intent.walletAddress,
    protocol: intent.protocol,
    chainId: intent.chainId,
    condition: intent.condition,
    action: intent.action,
    status: intent.status,
    cooldownSeconds: intent.cooldownSeconds,
    maxExecutions: intent.maxExecutions,
    executionsCount: intent.executionsCount,
    lastTriggeredAt: intent.lastTriggeredAt?.toUTC().toISO() ?? null,
    expiresAt: intent.expiresAt?.toUTC().toISO() ?? null,
    createdAt: intent.createdAt.toUTC().toISO(),
    updatedAt: intent.updatedAt.toUTC().toISO(),
  }
}

export function executionToJson(row: ExecutionRow) {
  return {
    id: row.id,
    intentId: row.intent_id,
    snapshotId: row.snapshot_id,
    condition: row.condition,
    action: row.action,
    transaction: row.transaction,
    note: row.note,
    alertId: row.alert_id,
    createdAt: new Date(row.created_at).toISOString(),
  }
}
