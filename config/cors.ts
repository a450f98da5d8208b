import env from '#start/env'
import { defineConfig } from '@adonisjs/cors'

const origins = (env.get('CORS_ORIGINS') ?? '')
  .split(',')
  .map((o) => o.trim())
  .filter(Boolean)

export default defineConfig({
  enabled: true,
  // Only the dashboard's origins; anything else gets no CORS headers.
  origin: origins,
  methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
  headers: true,
  exposeHeaders: ['Retry-After', 'X-Request-Id'],
  credentials: false,
  maxAge: 600,
})
