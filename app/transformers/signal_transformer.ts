import type { AlertRow } from '#infrastructure/database/queries/alert_rows'
import type { Alert, Signal } from '#models'

export function signalToJson(signal: Signal) {
  return {
    id: signal.id,
    type: signal.type,
    asset: signal.asset,
    severity: signal.severity,
    data: signal.data,
    status: signal.status,
    detectedAt: signal.detectedAt.toUTC().toISO(),
    expiresAt: signal.expiresAt?.toUTC().toISO() ?? null,
    createdAt: signal.createdAt.toUTC().toISO(),
  }
}

export function alertToJson(alert: Alert) {
  return {
    id: alert.id,
    signalId: alert.signalId,
    walletAddress: alert.walletAddress,
    type: alert.type,
    severity: alert.severity,
    channel: alert.channel,
    message: alert.message,
    metadata: alert.metadata,
    status: alert.status,
    attempts: alert.attempts,
    lastError: alert.lastError,
    sentAt: alert.sentAt?.toUTC().toISO() ?? null,
    acknowledgedAt: alert.acknowledgedAt?.toUTC().toISO() ?? null,
    createdAt: alert.createdAt.toUTC().toISO(),
  }
}

/** The same JSON as alertToJson, from a plain row. */
export function alertRowToJson(row: AlertRow) {
  return {
    id: row.id,
    signalId: row.signal_id,
    walletAddress: row.wallet_address,
    type: row.type,
    severity: row.severity,
    channel: row.channel,
    message: row.message,
    metadata: row.metadata,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    sentAt: row.sent_at?.toISOString() ?? null,
    acknowledgedAt: row.acknowledged_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  }
}
