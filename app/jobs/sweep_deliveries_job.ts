import { Job } from '@adonisjs/queue'
import type { JobOptions } from '@adonisjs/queue/types'
import DeliverAlertsJob from '#jobs/deliver_alerts_job'
import { channelsWithDueAlerts } from '#services/delivery/deliver_alerts'
import { prunePacing } from '#infrastructure/delivery/pacing'

/**
 * Scheduled: starts a drain for every channel with due alerts — retries whose
 * backoff ended, alerts held by quiet hours, leases of crashed senders, and
 * any kick that was lost between a commit and its dispatch.
 */
export default class SweepDeliveriesJob extends Job<Record<string, never>> {
  static options: JobOptions = { queue: 'default', maxRetries: 1 }

  async execute() {
    for (const channel of await channelsWithDueAlerts()) {
      await DeliverAlertsJob.dispatch({ channel }).run()
    }
    await prunePacing()
  }
}
