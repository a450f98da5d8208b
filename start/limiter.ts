/*
 * Rate limits. The auth routes (per client IP) count in PostgreSQL, shared by
 * every replica. Authenticated routes (per token) count in process memory: a
 * database write on every request halved dashboard throughput (bench/RESULTS.md),
 * and with N replicas a token gets at most N x the budget. See docs/adr/0002.
 */
import ipaddr from 'ipaddr.js'
import env from '#start/env'
import limiter from '@adonisjs/limiter/services/main'

/**
 * Who a client is, for a per-IP budget: an IPv4 address, or an IPv6 /64. A
 * single subscriber is usually handed a whole /64 and can send from any of its
 * 2^64 addresses: keyed by address, each would get a fresh budget.
 */
export function clientKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return `ip:${ip}`
  const parsed = ipaddr.parse(ip)
  if (parsed.kind() === 'ipv4') return `ip:${parsed.toString()}`
  const v6 = parsed as ipaddr.IPv6
  if (v6.isIPv4MappedAddress()) return `ip:${v6.toIPv4Address().toString()}`
  return `ip6:${v6.parts
    .slice(0, 4)
    .map((part) => part.toString(16))
    .join(':')}::/64`
}

export const authThrottle = limiter.define('auth', (ctx) => {
  return limiter
    .allowRequests(env.get('RATE_LIMIT_AUTH_PER_MINUTE', 20))
    .every('1 minute')
    .usingKey(clientKey(ctx.request.ip()))
})

export const apiThrottle = limiter.define('api', (ctx) => {
  // The token id, not the user: two sessions of one user each get the budget;
  // a leaked token cannot drain it for the others.
  // Keyed by guard too: user and service tokens live in two tables whose ids both
  // count from 1, so user token 7 and service token 7 would share one budget.
  const guard = ctx.auth.authenticatedViaGuard === 'service' ? 'service' : 'api'
  const token =
    guard === 'service'
      ? ctx.auth.use('service').user?.currentAccessToken
      : ctx.auth.use('api').user?.currentAccessToken
  const key = token ? `token:${guard}:${String(token.identifier)}` : clientKey(ctx.request.ip())
  return limiter
    .allowRequests(env.get('RATE_LIMIT_API_PER_MINUTE', 600))
    .every('1 minute')
    .store('memory')
    .usingKey(key)
})

/**
 * `POST /positions/sync` reads the chain for the caller: per user, in
 * PostgreSQL (shared by replicas, as the RPC provider's quota is).
 */
export const syncThrottle = limiter.define('positionsSync', (ctx) => {
  const user = ctx.auth.use('api').user
  return limiter
    .allowRequests(env.get('RATE_LIMIT_SYNC_PER_MINUTE', 6))
    .every('1 minute')
    .usingKey(user ? `sync:${user.id}` : clientKey(ctx.request.ip()))
})
