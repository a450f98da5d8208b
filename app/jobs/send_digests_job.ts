import { Job } from '@adonisjs/queue'
import type { JobOptions } from '@adonisjs/queue/types'
import { createDueDigests } from '#services/digest/daily_digest'
import { requestContext } from '#infrastructure/context/request_context'

/** Every minute: users whose local clock passed 08:00 get today's digest, once. */
export default class SendDigestsJob extends Job<Record<string, never>> {
  static options: JobOptions = { queue: 'default', maxRetries: 3 }

  async execute() {
    await requestContext.run({ actor: { type: 'system', id: 'digest' } }, () => createDueDigests())
  }
}
