import env from '#start/env'
import { DEFAULT_RETRY_POLICY } from '#domain/delivery/outcome'

/**
 * Delivery of alerts (issue 6). Limits are Telegram's published ones with a
 * little headroom: ~30 messages/s per bot, 1/s per chat.
 */
const delivery = {
  telegram: {
    botToken: env.get('TELEGRAM_BOT_TOKEN')?.release() || null,
    botUsername: env.get('TELEGRAM_BOT_USERNAME') || 'DeFiAssistantBot',
    webhookSecret: env.get('TELEGRAM_WEBHOOK_SECRET')?.release() || null,
    apiRoot: env.get('TELEGRAM_API_ROOT') || 'https://api.telegram.org',
    messagesPerSecond: env.get('TELEGRAM_MESSAGES_PER_SECOND', 28),
    perChatIntervalMs: env.get('TELEGRAM_CHAT_INTERVAL_MS', 1_000),
    linkCodeTtlMinutes: 15,
  },
  webhook: {
    allowPrivateAddresses: env.get('WEBHOOK_ALLOW_PRIVATE_ADDRESSES', false),
    timeoutMs: env.get('WEBHOOK_TIMEOUT_MS', 10_000),
  },
  mail: {
    configured: Boolean(env.get('SMTP_HOST')),
  },
  retry: {
    maxAttempts: env.get('DELIVERY_MAX_ATTEMPTS', DEFAULT_RETRY_POLICY.maxAttempts),
    baseDelayMs: env.get('DELIVERY_BASE_DELAY_MS', DEFAULT_RETRY_POLICY.baseDelayMs),
    maxDelayMs: DEFAULT_RETRY_POLICY.maxDelayMs,
  },
  /** A sender's hold on claimed alerts; after it, a crashed sender's alerts are taken again. */
  leaseMs: env.get('DELIVERY_LEASE_MS', 60_000),
  /** How long one delivery job drains before handing over to a fresh job. */
  drainBudgetMs: env.get('DELIVERY_DRAIN_BUDGET_MS', 50_000),
  /** Concurrent sends within one drainer, per channel. */
  lanes: { telegram: 32, email: 4, webhook: 16 } as Record<
    'telegram' | 'email' | 'webhook',
    number
  >,
}

export default delivery
