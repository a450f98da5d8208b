import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig } from '@adonisjs/core/http'

export const appKey = env.get('APP_KEY')

export const http = defineConfig({
  generateRequestId: true,
  allowMethodSpoofing: false,
  // Off: the app carries its own, smaller request context (#infrastructure/context).
  useAsyncLocalStorage: false,
  // Behind a load balancer the client address comes from X-Forwarded-For; the
  // rate limiter keys on it, so only trust proxies on loopback/private ranges.
  trustProxy: () => !app.inTest,
  cookie: {
    domain: '',
    path: '/',
    maxAge: '2h',
    httpOnly: true,
    secure: app.inProduction,
    sameSite: 'lax',
  },
})
