import { BlockList, isIPv6 } from 'node:net'
import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig } from '@adonisjs/core/http'
import { serializeJson } from '#infrastructure/http/serialize_json'

/**
 * Proxies we accept X-Forwarded-For from: loopback and private networks (a
 * load balancer in front of the API). A client on the internet cannot pick
 * its own IP for the per-IP rate limit by sending the header itself.
 */
const trustedProxies = new BlockList()
trustedProxies.addSubnet('127.0.0.0', 8)
trustedProxies.addSubnet('10.0.0.0', 8)
trustedProxies.addSubnet('172.16.0.0', 12)
trustedProxies.addSubnet('192.168.0.0', 16)
trustedProxies.addAddress('::1', 'ipv6')
trustedProxies.addSubnet('fc00::', 7, 'ipv6')

export function isTrustedProxy(address: string): boolean {
  const mapped = address.startsWith('::ffff:') ? address.slice(7) : address
  return trustedProxies.check(mapped, isIPv6(mapped) ? 'ipv6' : 'ipv4')
}

export const appKey = env.get('APP_KEY')

export const http = defineConfig({
  generateRequestId: true,
  allowMethodSpoofing: false,
  // Off: the app carries its own, smaller request context (#infrastructure/context).
  useAsyncLocalStorage: false,
  // The native JSON.stringify, safeStringify's fallbacks kept (app/infrastructure/http/serialize_json.ts).
  serializeJSON: serializeJson,
  // Behind a load balancer the client address comes from X-Forwarded-For; the
  // rate limiter keys on it, so only proxies on loopback/private ranges are believed.
  trustProxy: (address: string) => isTrustedProxy(address),
  cookie: {
    domain: '',
    path: '/',
    maxAge: '2h',
    httpOnly: true,
    secure: app.inProduction,
    sameSite: 'lax',
  },
})
