import db from '@adonisjs/lucid/services/db'
import { integrated } from '#tests/helpers/events'

/** A pending alert on a push channel, as fan-out or the HF rule would leave it. */
export async function pendingAlert(
  userId: string,
  channel: 'telegram' | 'email' | 'webhook',
  fields: { message?: string; severity?: string; type?: string; deliverAfter?: string } = {}
): Promise<string> {
  const { rows } = await db.rawQuery(
    `insert into alerts (user_id, type, severity, channel, message, metadata, status, deliver_after)
     values (?, ?, ?, ?, ?, '{}'::jsonb, 'pending', ?) returning id`,
    [
      userId,
      fields.type ?? 'depeg',
      fields.severity ?? 'high',
      channel,
      fields.message ?? '[HIGH] Depeg on USDC: priceUsd 0.985',
      (fields.deliverAfter ?? null) as string,
    ]
  )
  return rows[0].id
}

export async function alertRow(id: string) {
  return db.from('alerts').where('id', id).firstOrFail()
}

export async function eventsOf(aggregateId: string): Promise<string[]> {
  // alert streams are journal-fed: their events exist once integrated
  await integrated()
  const rows = await db.from('event_store').where('aggregate_id', aggregateId).orderBy('version')
  return rows.map((r) => r.event_type)
}

export async function waitUntil(check: () => Promise<boolean>, ms: number, stepMs = 100) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, stepMs))
  }
  return false
}
