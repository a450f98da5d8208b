import { PassThrough } from 'node:stream'
import type { HttpContext } from '@adonisjs/core/http'
import features from '#config/features'
import { DomainError } from '#domain/shared/errors'
import { listAlertsValidator, streamAlertsValidator } from '#validators/alert'
import { acknowledgeAlert, listAlerts } from '#services/alerts/alerts'
import hub, {
  decodeStreamId,
  MAX_STREAMS_PER_USER,
  streamHead,
  type StreamMessage,
} from '#services/alerts/alert_stream'
import { encodeCursor } from '#services/shared/cursor'
import { alertRowToJson, alertToJson } from '#transformers/signal_transformer'

const frame = (id: string, event: string, data: unknown) =>
  `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`

const alertFrame = (m: StreamMessage) =>
  frame(m.id, m.event, {
    type: m.event,
    occurredAt: m.occurredAt.toISOString(),
    alert: alertToJson(m.alert),
  })

export default class AlertsController {
  async index({ auth, request }: HttpContext) {
    const query = await request.validateUsing(listAlertsValidator, { data: request.qs() })
    const page = await listAlerts(auth.use('api').getUserOrFail().id, query)
    return { data: page.data.map(alertRowToJson), meta: { nextCursor: page.nextCursor } }
  }

  async acknowledge({ auth, params }: HttpContext) {
    return {
      data: alertToJson(await acknowledgeAlert(auth.use('api').getUserOrFail().id, params.id)),
    }
  }

  /** GET /alerts/stream — Server-Sent Events, resumable with Last-Event-ID. */
  async stream({ auth, request, response }: HttpContext) {
    if (!features.eventStore) {
      throw new DomainError('E_FEATURE_DISABLED', 'The event store is not enabled')
    }
    const user = auth.use('api').getUserOrFail()
    const { lastEventId } = await request.validateUsing(streamAlertsValidator, {
      data: request.qs(),
    })
    const resumeFrom = request.header('last-event-id')?.trim() || lastEventId
    const cursor = resumeFrom
      ? decodeStreamId(
          resumeFrom,
          request.header('last-event-id') ? 'Last-Event-ID' : 'lastEventId'
        )
      : await streamHead(user.id)
    if (hub.streamsOf(user.id) >= MAX_STREAMS_PER_USER) {
      response.header('Retry-After', '15')
      throw new DomainError(
        'E_TOO_MANY_REQUESTS',
        `At most ${MAX_STREAMS_PER_USER} alert streams per user at a time`
      )
    }

    const body = new PassThrough()
    let ended = false
    let unsubscribe = () => {}
    const end = (reason: string) => {
      if (ended) return
      ended = true
      unsubscribe()
      body.end(
        reason === 'client_closed'
          ? undefined
          : `event: end\ndata: ${JSON.stringify({ reason })}\n\n`
      )
    }
    // The client reconnects after 3 s; `ready` carries the resume point even before any alert.
    body.write(`retry: 3000\n\n`)
    const readyId = encodeCursor(cursor)
    body.write(frame(readyId, 'ready', { lastEventId: readyId }))
    unsubscribe = hub.subscribe({
      userId: user.id,
      tokenId: String(user.currentAccessToken.identifier),
      cursor,
      send: (message) => {
        if (!ended) body.write(alertFrame(message))
      },
      ping: () => {
        if (!ended) body.write(': keep-alive\n\n')
      },
      end,
    })
    response.response.on('close', () => end('client_closed'))

    response.header('Content-Type', 'text/event-stream; charset=utf-8')
    response.header('Cache-Control', 'no-store')
    // Tells nginx-like proxies not to buffer the stream.
    response.header('X-Accel-Buffering', 'no')
    response.stream(body)
  }
}
