import type { HttpContext } from '@adonisjs/core/http'
import { listAlertsValidator } from '#validators/alert'
import { acknowledgeAlert, listAlerts } from '#services/alerts/alerts'
import { alertToJson } from '#transformers/signal_transformer'

export default class AlertsController {
  async index({ auth, request }: HttpContext) {
    const query = await request.validateUsing(listAlertsValidator, { data: request.qs() })
    const page = await listAlerts(auth.use('api').getUserOrFail().id, query)
    return { data: page.data.map(alertToJson), meta: { nextCursor: page.nextCursor } }
  }

  async acknowledge({ auth, params }: HttpContext) {
    return {
      data: alertToJson(await acknowledgeAlert(auth.use('api').getUserOrFail().id, params.id)),
    }
  }
}
