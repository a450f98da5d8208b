import { Job } from '@adonisjs/queue'
import type { JobOptions } from '@adonisjs/queue/types'
import type { Update } from 'grammy/types'
import { handleUpdate } from '#services/telegram/bot'
import { requestContext } from '#infrastructure/context/request_context'

/** The bot's slow work, out of the webhook's request (Telegram wants a quick 200). */
export default class HandleTelegramUpdateJob extends Job<{ update: Update }> {
  // A retried update could consume a link code twice or reply twice: once is the rule.
  static options: JobOptions = { queue: 'default', maxRetries: 0 }

  async execute() {
    await requestContext.run({ actor: { type: 'system', id: 'telegram-bot' } }, () =>
      handleUpdate(this.payload.update)
    )
  }
}
