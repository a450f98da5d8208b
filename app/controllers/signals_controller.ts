import type { HttpContext } from '@adonisjs/core/http'
import { createSignalValidator, listSignalsValidator } from '#validators/signal'
import { acknowledgeSignal, recordSignal } from '#services/signals/record_signal'
import { findSignal, listSignals } from '#services/signals/read_signals'
import { signalToJson } from '#transformers/signal_transformer'

export default class SignalsController {
  /** 201 with the number of alerts it caused; 200 when the same detection was already recorded. */
  async store({ request, response }: HttpContext) {
    const payload = await request.validateUsing(createSignalValidator, { data: request.body() })
    const result = await recordSignal(payload)
    return response.status(result.created ? 201 : 200).send({
      data: signalToJson(result.signal),
      meta: { alreadyRecorded: !result.created, alertsCreated: result.alertsCreated },
    })
  }

  async index({ request }: HttpContext) {
    const query = await request.validateUsing(listSignalsValidator, { data: request.qs() })
    const page = await listSignals(query)
    return { data: page.data.map(signalToJson), meta: { nextCursor: page.nextCursor } }
  }

  async show({ params }: HttpContext) {
    return { data: signalToJson(await findSignal(params.id)) }
  }

  async acknowledge({ params }: HttpContext) {
    return { data: signalToJson(await acknowledgeSignal(params.id)) }
  }
}
