import { Job } from '@adonisjs/queue'
import type { JobOptions } from '@adonisjs/queue/types'
import features from '#config/features'
import { expireIntents } from '#services/intents/intents'
import { requestContext } from '#infrastructure/context/request_context'

/** Every minute: intents past their expiresAt become expired. */
export default class ExpireIntentsJob extends Job<Record<string, never>> {
  static options: JobOptions = { queue: 'default', maxRetries: 3 }

  async execute() {
    if (!features.intents) return
    await requestContext.run({ actor: { type: 'system', id: 'intent-expiry' } }, () =>
      expireIntents()
    )
  }
}
