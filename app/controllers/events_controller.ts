import type { HttpContext } from '@adonisjs/core/http'
import features from '#config/features'
import { DomainError } from '#domain/shared/errors'
import { listEventsValidator } from '#validators/event'
import { listEvents, type EventRow } from '#services/events/read_events'

function eventToJson(row: EventRow) {
  return {
    position: String(row.position),
    aggregateType: row.aggregate_type,
    aggregateId: row.aggregate_id,
    version: row.version,
    type: row.event_type,
    payload: row.payload,
    // Who acted (its kind, not a service's internal id), the request, and the cause.
    metadata: {
      actor: row.metadata.actor?.type ?? null,
      requestId: row.metadata.requestId ?? null,
      causation: row.metadata.causation ?? null,
    },
    occurredAt: new Date(row.occurred_at).toISOString(),
    hash: row.hash,
  }
}

export default class EventsController {
  async index({ auth, request }: HttpContext) {
    if (!features.eventStore) {
      throw new DomainError('E_FEATURE_DISABLED', 'The event store is not enabled')
    }
    const query = await request.validateUsing(listEventsValidator, { data: request.qs() })
    const page = await listEvents(auth.use('api').getUserOrFail().id, query)
    return { data: page.data.map(eventToJson), meta: { nextCursor: page.nextCursor } }
  }
}
