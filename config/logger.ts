import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig, targets } from '@adonisjs/core/logger'

export default defineConfig({
  default: 'app',
  loggers: {
    app: {
      enabled: true,
      name: 'defi-assistant-api',
      level: env.get('LOG_LEVEL', 'info'),
      // Bearer tokens, SIWE signatures and link codes must never reach the logs.
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["x-telegram-bot-api-secret-token"]',
          '*.token',
          '*.password',
          '*.signature',
          '*.nonce',
        ],
        censor: '[redacted]',
      },
      transport: {
        targets: targets()
          .pushIf(app.inDev, targets.pretty())
          .pushIf(!app.inDev, targets.file({ destination: 1 }))
          .toArray(),
      },
    },
  },
})
