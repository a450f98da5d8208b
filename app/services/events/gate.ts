import db from '@adonisjs/lucid/services/db'
import features from '#config/features'
import eventRecorder from '#services/events/event_recorder'

/** The one "system" aggregate: facts about the event store itself. */
export const EVENT_STORE_AGGREGATE_ID = '00000000-0000-7000-8000-000000000001'

/**
 * Brings the stored gate state in line with FEATURE_EVENT_STORE, once per
 * change however many processes boot at once (a conditional UPDATE). Turning
 * it on again appends `system.event_store_enabled` naming the gap; turning it
 * off can only be remembered (no events are written while off).
 */
export async function syncEventStoreGate(): Promise<'enabled' | 'disabled' | 'unchanged'> {
  return db.transaction(async (trx) => {
    if (!features.eventStore) {
      const { rows } = await trx.rawQuery(
        `update event_store_gate set enabled = false, changed_at = now() where id = 1 and enabled returning id`
      )
      return rows.length ? 'disabled' : 'unchanged'
    }
    const { rows } = await trx.rawQuery(
      `with old as (select changed_at from event_store_gate where id = 1 and not enabled for update)
       update event_store_gate g set enabled = true, changed_at = now()
       from old where g.id = 1
       returning old.changed_at as disabled_at, g.changed_at as enabled_at`
    )
    if (rows.length === 0) return 'unchanged'
    await eventRecorder.append(trx, {
      aggregateType: 'system',
      aggregateId: EVENT_STORE_AGGREGATE_ID,
      eventType: 'system.event_store_enabled',
      payload: {
        disabledAt: new Date(rows[0].disabled_at).toISOString(),
        enabledAt: new Date(rows[0].enabled_at).toISOString(),
        note: 'state changes between these instants were not recorded',
      },
      metadata: { actor: { type: 'system', id: 'boot' } },
    })
    return 'enabled'
  })
}
