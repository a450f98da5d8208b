import { Job } from '@adonisjs/queue'
import type { JobOptions } from '@adonisjs/queue/types'
import chainSync from '#services/chain/chain_sync'
import { requestContext } from '#infrastructure/context/request_context'

/**
 * Every CHAIN_SYNC_INTERVAL, per configured chain: one sync round. A failed
 * round is recorded (chain_sync_state, the stale alert) and not retried by
 * the queue: the next round is the retry, and RPC requests have already been
 * retried with backoff inside it. A throw here would only pile up retries of
 * an outage behind the schedule.
 */
export default class SyncChainJob extends Job<{ chainId: number }> {
  static options: JobOptions = { queue: 'default', maxRetries: 0 }

  async execute() {
    const { chainId } = this.payload
    if (!chainSync.chains().includes(chainId)) return
    await requestContext.run({ actor: { type: 'system', id: `chain-sync:${chainId}` } }, () =>
      chainSync.syncChain(chainId).catch(() => {
        // recorded and logged by syncChain
      })
    )
  }
}
