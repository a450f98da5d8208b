import db from '@adonisjs/lucid/services/db'
import type { DateTime } from 'luxon'
import { Signal } from '#models'
import type { Severity } from '#models/signal'
import { formatSignalAlert } from '#domain/alerts/messages'
import { DomainError } from '#domain/shared/errors'
import { DEFAULT_ACTIVE_SIGNALS } from '#domain/users/preferences'
import eventRecorder from '#services/events/event_recorder'
import { kickDeliveryAfterCommit } from '#services/delivery/kick'
import { fanOutSignal } from '#infrastructure/database/queries/fan_out'

export interface SignalInput {
  type: string
  asset: string
  severity: Severity
  data?: Record<string, unknown>
  detectedAt: DateTime
  expiresAt?: DateTime
}

export interface RecordedSignal {
  signal: Signal
  created: boolean
  alertsCreated: number
}

/**
 * Records a signal and, in the same transaction, fans it out to every user it
 * concerns (one set-based statement) with an `alert.created` event per alert.
 * The same detection sent again (type, asset, instant) is answered with the
 * signal already stored and creates nothing.
 */
export async function recordSignal(input: SignalInput): Promise<RecordedSignal> {
  if (input.expiresAt && input.expiresAt <= input.detectedAt) {
    throw new DomainError(
      'E_VALIDATION_ERROR',
      'The expiresAt field must be after detectedAt',
      'expiresAt'
    )
  }
  return db.transaction(async (trx) => {
    const { rows } = await trx.rawQuery(
      `insert into signals (type, asset, severity, data, detected_at, expires_at, status)
       values (?, ?, ?, ?::jsonb, ?, ?, case when ?::timestamptz <= now() then 'expired' else 'active' end)
       on conflict (type, asset, detected_at) do nothing
       returning id`,
      [
        input.type,
        input.asset,
        input.severity,
        JSON.stringify(input.data ?? {}),
        input.detectedAt.toISO()!,
        // knex's binding type omits null, which pg sends as SQL NULL
        (input.expiresAt?.toISO() ?? null) as string,
        input.expiresAt?.toISO() ?? 'infinity',
      ]
    )
    if (rows.length === 0) {
      const existing = await Signal.query({ client: trx })
        .where({ type: input.type, asset: input.asset })
        .where('detected_at', input.detectedAt.toISO()!)
        .firstOrFail()
      return { signal: existing, created: false, alertsCreated: 0 }
    }

    const signal = await Signal.query({ client: trx }).where('id', rows[0].id).firstOrFail()
    await eventRecorder.append(trx, {
      aggregateType: 'signal',
      aggregateId: signal.id,
      eventType: 'signal.detected',
      payload: {
        type: signal.type,
        asset: signal.asset,
        severity: signal.severity,
        data: signal.data,
      },
      occurredAt: signal.detectedAt,
    })

    // An already-expired signal is history, not news: nobody is alerted.
    if (signal.status !== 'active') return { signal, created: true, alertsCreated: 0 }

    const message = formatSignalAlert(signal)
    const fanOut = await fanOutSignal(trx, signal, message, DEFAULT_ACTIVE_SIGNALS, {
      enabled: eventRecorder.enabled,
      metadata: eventRecorder.contextMetadata({
        causation: { aggregateType: 'signal', aggregateId: signal.id },
      }),
    })
    kickDeliveryAfterCommit(trx, Object.keys(fanOut.byChannel))
    return { signal, created: true, alertsCreated: fanOut.total }
  })
}

/** Marks active signals past their expiry as expired; returns how many. Run every minute by a job. */
export async function expireSignals(): Promise<number> {
  return db.transaction(async (trx) => {
    const { rows } = await trx.rawQuery(
      `update signals set status = 'expired', updated_at = now()
       where status = 'active' and expires_at <= now()
       returning id`
    )
    await eventRecorder.appendMany(
      trx,
      rows.map((r: { id: string }) => ({
        aggregateType: 'signal' as const,
        aggregateId: r.id,
        eventType: 'signal.expired' as const,
        payload: {},
        metadata: { actor: { type: 'system', id: 'signal-expiry' } },
      }))
    )
    return rows.length
  })
}

export async function acknowledgeSignal(id: string): Promise<Signal> {
  return db.transaction(async (trx) => {
    const signal = await Signal.query({ client: trx }).where('id', id).forUpdate().first()
    if (!signal) throw new DomainError('E_NOT_FOUND', 'The signal does not exist')
    if (signal.status === 'acknowledged') return signal
    signal.status = 'acknowledged'
    await signal.useTransaction(trx).save()
    await eventRecorder.append(trx, {
      aggregateType: 'signal',
      aggregateId: signal.id,
      eventType: 'signal.acknowledged',
      payload: {},
    })
    return signal
  })
}
