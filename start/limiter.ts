/*
 * Rate limits. The auth routes (per client IP) count in PostgreSQL, shared by
 * every replica. Authenticated routes (per token) count in process memory: a
 * database write on every request halved dashboard throughput (bench/RESULTS.md),
 * and with N replicas a token gets at most N x the budget. See docs/adr/0002.
 */
import env from '#start/env'
import limiter from '@adonisjs/limiter/services/main'

export const authThrottle = limiter.define('auth', (ctx) => {
  return limiter
    .allowRequests(env.get('RATE_LIMIT_AUTH_PER_MINUTE', 20))
    .every('1 minute')
    .usingKey(`ip:${ctx.request.ip()}`)
})

export const apiThrottle = limiter.define('api', (ctx) => {
  // The token id, not the user: two sessions of one user each get the budget;
  // a leaked token cannot drain it for the others.
  const token =
    ctx.auth.authenticatedViaGuard === 'service'
      ? ctx.auth.use('service').user?.currentAccessToken
      : ctx.auth.use('api').user?.currentAccessToken
  const key = token ? `token:${String(token.identifier)}` : `ip:${ctx.request.ip()}`
  return limiter
    .allowRequests(env.get('RATE_LIMIT_API_PER_MINUTE', 600))
    .every('1 minute')
    .store('memory')
    .usingKey(key)
})
