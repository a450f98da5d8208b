import { Job } from '@adonisjs/queue'
import type { JobOptions } from '@adonisjs/queue/types'
import { expireSignals } from '#services/signals/record_signal'
import { requestContext } from '#infrastructure/context/request_context'

/** Every minute: active signals past their expiresAt become expired. */
export default class ExpireSignalsJob extends Job<Record<string, never>> {
  static options: JobOptions = { queue: 'default', maxRetries: 3 }

  async execute() {
    await requestContext.run({ actor: { type: 'system', id: 'signal-expiry' } }, () =>
      expireSignals()
    )
  }
}
