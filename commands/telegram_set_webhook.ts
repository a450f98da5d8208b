import { BaseCommand, args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

export default class TelegramSetWebhook extends BaseCommand {
  static commandName = 'telegram:set-webhook'
  static description =
    'Register URL (e.g. https://api.example.com/telegram/webhook) as the bot webhook, with TELEGRAM_WEBHOOK_SECRET'
  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Public HTTPS URL of POST /telegram/webhook' })
  declare url: string

  @flags.boolean({ description: 'Drop updates Telegram queued while no webhook was set' })
  declare dropPending?: boolean

  async run() {
    const { default: delivery } = await import('#config/delivery')
    const { telegramApi } = await import('#infrastructure/delivery/telegram_client')
    if (!delivery.telegram.webhookSecret) {
      this.logger.error('TELEGRAM_WEBHOOK_SECRET is not set: the webhook would accept anyone')
      this.exitCode = 1
      return
    }
    let parsed: URL
    try {
      parsed = new URL(this.url)
    } catch {
      this.logger.error(`Not a URL: ${this.url}`)
      this.exitCode = 1
      return
    }
    if (parsed.protocol !== 'https:' && this.app.inProduction) {
      this.logger.error('Telegram only calls HTTPS webhooks')
      this.exitCode = 1
      return
    }
    try {
      await telegramApi().setWebhook(parsed.toString(), {
        secret_token: delivery.telegram.webhookSecret,
        allowed_updates: ['message'],
        drop_pending_updates: this.dropPending ?? false,
      })
    } catch (error) {
      this.logger.error(`Telegram refused: ${(error as Error).message}`)
      this.exitCode = 1
      return
    }
    this.logger.success(`Webhook set to ${parsed.toString()}`)
  }
}
