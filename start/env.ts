/*
 * Every variable of DESIGN.md §8, validated once at boot. Secrets come from
 * the environment only; optional ones default in config/, not here.
 */
import { Env } from '@adonisjs/core/env'

export default await Env.create(new URL('../', import.meta.url), {
  NODE_ENV: Env.schema.enum(['development', 'production', 'test'] as const),
  PORT: Env.schema.number.optional(),
  HOST: Env.schema.string.optional({ format: 'host' }),
  APP_KEY: Env.schema.secret(),
  LOG_LEVEL: Env.schema.enum.optional([
    'fatal',
    'error',
    'warn',
    'info',
    'debug',
    'trace',
    'silent',
  ] as const),

  DATABASE_URL: Env.schema.string.optional(),
  DB_HOST: Env.schema.string.optional(),
  DB_PORT: Env.schema.number.optional(),
  DB_USER: Env.schema.string.optional(),
  DB_PASSWORD: Env.schema.secret.optional(),
  DB_DATABASE: Env.schema.string.optional(),
  DB_POOL_MAX: Env.schema.number.optional(),

  // Required in production: the defaults name localhost, so a deployment that forgot
  // them would accept sign-in messages made for localhost instead of its own origin.
  SIWE_DOMAIN: Env.schema.string.optionalWhen(() => process.env.NODE_ENV !== 'production'),
  SIWE_URI: Env.schema.string.optionalWhen(() => process.env.NODE_ENV !== 'production'),
  SIWE_CHAIN_IDS: Env.schema.string.optional(),
  // An Ethereum JSON-RPC endpoint: needed only to verify smart-contract wallets (EIP-1271).
  SIWE_RPC_URL: Env.schema.string.optional(),
  ACCESS_TOKEN_TTL: Env.schema.string.optional(),
  WALLETS_PER_USER_MAX: Env.schema.number.optional(),
  ACCESS_TOKEN_CACHE_MS: Env.schema.number.optional(),
  ACCESS_TOKEN_CACHE_NOTIFIED_MS: Env.schema.number.optional(),

  TELEGRAM_BOT_TOKEN: Env.schema.secret.optional(),
  TELEGRAM_BOT_USERNAME: Env.schema.string.optional(),
  TELEGRAM_WEBHOOK_SECRET: Env.schema.secret.optional(),
  TELEGRAM_API_ROOT: Env.schema.string.optional(),

  SMTP_HOST: Env.schema.string.optional(),
  SMTP_PORT: Env.schema.number.optional(),
  SMTP_USER: Env.schema.string.optional(),
  SMTP_PASSWORD: Env.schema.secret.optional(),
  MAIL_FROM: Env.schema.string.optional(),

  WEBHOOK_ALLOW_PRIVATE_ADDRESSES: Env.schema.boolean.optional(),
  WEBHOOK_TIMEOUT_MS: Env.schema.number.optional(),
  TELEGRAM_MESSAGES_PER_SECOND: Env.schema.number.optional(),
  TELEGRAM_CHAT_INTERVAL_MS: Env.schema.number.optional(),
  DELIVERY_MAX_ATTEMPTS: Env.schema.number.optional(),
  DELIVERY_BASE_DELAY_MS: Env.schema.number.optional(),
  DELIVERY_LEASE_MS: Env.schema.number.optional(),
  DELIVERY_DRAIN_BUDGET_MS: Env.schema.number.optional(),
  DELIVERY_SWEEP_EVERY: Env.schema.string.optional(),
  CORS_ORIGINS: Env.schema.string.optional(),
  FEATURE_INTENTS: Env.schema.boolean.optional(),
  FEATURE_EVENT_STORE: Env.schema.boolean.optional(),
  EVENT_MAX_MERGE_DELAY_SECONDS: Env.schema.number.optional(),
  EVENT_INTEGRATE_EVERY_MS: Env.schema.number.optional(),
  EVENT_ANCHOR_FILE: Env.schema.string.optional(),
  WORKERS: Env.schema.enum.optional(['on', 'off'] as const),
  RATE_LIMIT_AUTH_PER_MINUTE: Env.schema.number.optional(),
  RATE_LIMIT_API_PER_MINUTE: Env.schema.number.optional(),
  HTTP_REQUEST_TIMEOUT_MS: Env.schema.number.optional(),
  HTTP_HEADERS_TIMEOUT_MS: Env.schema.number.optional(),
  ESCALATION_MINUTES: Env.schema.number.optional(),
  QUEUE_CONCURRENCY: Env.schema.number.optional(),
  QUEUE_STALLED_THRESHOLD: Env.schema.string.optional(),
  QUEUE_STALLED_INTERVAL: Env.schema.string.optional(),
  HEALTH_FACTOR_ALERT_COOLDOWN_HOURS: Env.schema.number.optional(),
  RISK_EWMA_LAMBDA: Env.schema.number.optional(),
  RISK_MIN_SAMPLES: Env.schema.number.optional(),
  RISK_MODEL_CACHE_MS: Env.schema.number.optional(),
  BODY_LIMIT: Env.schema.string.optional(),
  CHAIN_RPC_URLS: Env.schema.string.optional(),
  CHAIN_MARKETS: Env.schema.string.optional(),
  CHAIN_SYNC_INTERVAL: Env.schema.number.optional(),
  CHAIN_STALE_MINUTES: Env.schema.number.optional(),
  CHAIN_HEARTBEAT_MINUTES: Env.schema.number.optional(),
  CHAIN_RPC_TIMEOUT_MS: Env.schema.number.optional(),
  RATE_LIMIT_SYNC_PER_MINUTE: Env.schema.number.optional(),
})
