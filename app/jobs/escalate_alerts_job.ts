import { Job } from '@adonisjs/queue'
import type { JobOptions } from '@adonisjs/queue/types'
import { escalateAlerts } from '#services/alerts/escalate'
import { requestContext } from '#infrastructure/context/request_context'

/** Every minute: critical alerts unacknowledged for ESCALATION_MINUTES go out again, everywhere. */
export default class EscalateAlertsJob extends Job<Record<string, never>> {
  static options: JobOptions = { queue: 'default', maxRetries: 3 }

  async execute() {
    await requestContext.run({ actor: { type: 'system', id: 'escalation' } }, () =>
      escalateAlerts()
    )
  }
}
