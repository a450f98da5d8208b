import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { DELIVERY_CHANNELS, type DeliveryChannel } from './deliver_alerts.js'

/**
 * Once `trx` commits, starts a drain for each channel that got alerts. A
 * dispatch that fails (or a crash right after the commit) loses nothing: the
 * sweeper finds the pending alerts within its period.
 */
export function kickDeliveryAfterCommit(
  trx: TransactionClientContract,
  channels: Iterable<string>
) {
  const wanted = new Set<DeliveryChannel>()
  for (const channel of channels) {
    if ((DELIVERY_CHANNELS as readonly string[]).includes(channel))
      wanted.add(channel as DeliveryChannel)
  }
  if (wanted.size === 0) return
  trx.after('commit', async () => {
    try {
      const { default: DeliverAlertsJob } = await import('#jobs/deliver_alerts_job')
      for (const channel of wanted) await DeliverAlertsJob.dispatch({ channel }).run()
    } catch (error) {
      logger.warn(
        { err: error },
        'delivery kick not dispatched; the sweeper will pick the alerts up'
      )
    }
  })
}
