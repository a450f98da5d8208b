import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { Alert } from '#models'
import { NotFoundError } from '#domain/shared/errors'
import eventRecorder from '#services/events/event_recorder'
import { newestIdFirstPage } from '#services/shared/cursor'
import type { Page } from '#services/shared/cursor'
import { ALERT_ROW_COLUMNS, type AlertRow } from '#infrastructure/database/queries/alert_rows'

export interface AlertQuery {
  status?: string
  channel?: string
  severity?: string
  /** Alerts about the positions of one wallet of the user's (lower case). */
  walletAddress?: string
  limit?: number
  cursor?: string
}

/**
 * The caller's alerts, newest first. Keyset-paginated on the id alone: ids are
 * UUIDv7 (time-ordered), while created_at carries microseconds a cursor would
 * truncate, and a fan-out gives thousands of alerts the same created_at.
 */
export async function listAlerts(userId: string, q: AlertQuery): Promise<Page<AlertRow>> {
  // Plain rows, as the dashboard polls this: model hydration cost more than the query.
  const query = db.from('alerts').select(ALERT_ROW_COLUMNS).where('user_id', userId)
  if (q.status) query.where('status', q.status)
  if (q.channel) query.where('channel', q.channel)
  if (q.severity) query.where('severity', q.severity)
  // The user's own alerts about that wallet (the partial index on (user_id,
  // wallet_address)): signals, digests and chain notices name no wallet.
  if (q.walletAddress) query.where('wallet_address', q.walletAddress)
  return newestIdFirstPage(query, q)
}

/**
 * Idempotent: the first acknowledgement records `alert.acknowledged`, later
 * ones return the alert unchanged. Another user's alert is a 404.
 */
export async function acknowledgeAlert(userId: string, alertId: string): Promise<Alert> {
  return db.transaction(async (trx) => {
    const alert = await Alert.query({ client: trx })
      .where({ id: alertId, user_id: userId })
      .forUpdate()
      .first()
    if (!alert) throw new NotFoundError('alert')
    if (alert.status === 'acknowledged') return alert
    alert.merge({ status: 'acknowledged', acknowledgedAt: DateTime.utc() })
    await alert.useTransaction(trx).save()
    await eventRecorder.append(trx, {
      aggregateType: 'alert',
      aggregateId: alert.id,
      eventType: 'alert.acknowledged',
      payload: { userId },
    })
    return alert
  })
}
