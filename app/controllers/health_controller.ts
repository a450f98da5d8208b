import type { HttpContext } from '@adonisjs/core/http'
import { checkReadiness } from '#services/system/readiness'

export default class HealthController {
  async live({ response }: HttpContext) {
    return response.ok({ status: 'ok' })
  }

  async ready({ response }: HttpContext) {
    const report = await checkReadiness()
    return response.status(report.ready ? 200 : 503).send({
      status: report.ready ? 'ok' : 'unavailable',
      checks: report.checks,
    })
  }
}
