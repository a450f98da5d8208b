import { Job } from '@adonisjs/queue'
import type { JobOptions } from '@adonisjs/queue/types'
import { drainChannel, type DeliveryChannel } from '#services/delivery/deliver_alerts'
import { requestContext } from '#infrastructure/context/request_context'

/**
 * Drains one channel's due alerts for a bounded time, then hands over to a
 * fresh job if work is left, so no worker slot is held for minutes. Kicked
 * after a transaction creates alerts, and by the sweeper.
 */
export default class DeliverAlertsJob extends Job<{ channel: DeliveryChannel }> {
  static options: JobOptions = { queue: 'default', maxRetries: 5 }

  async execute() {
    const result = await requestContext.run(
      { actor: { type: 'system', id: `delivery:${this.payload.channel}` } },
      () => drainChannel(this.payload.channel)
    )
    if (result.more) await DeliverAlertsJob.dispatch(this.payload).run()
  }
}
