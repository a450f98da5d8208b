import dns from 'node:dns'
import net from 'node:net'
import type { LookupFunction } from 'node:net'
import ipaddr from 'ipaddr.js'

/**
 * The webhook channel POSTs to URLs users choose, from inside our network. A
 * URL must not reach private, loopback, link-local (cloud metadata at
 * 169.254.169.254), CGNAT, multicast or otherwise reserved addresses — only
 * public unicast ones. The check runs on the address the socket actually
 * connects to (a lookup hook), so a name that resolves to 127.0.0.1, or that
 * changes its answer between a check and the connection (DNS rebinding),
 * is refused too.
 */

export class ForbiddenAddressError extends Error {
  readonly code = 'E_WEBHOOK_ADDRESS_FORBIDDEN'
  /**
   * The message reaches the user (an alert's lastError): it names their host,
   * never the address it resolved to, which would map our internal DNS for them.
   */
  constructor(host: string, reason = 'does not resolve to a public address') {
    super(`${host} ${reason}`)
  }
}

export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false
  let parsed = ipaddr.parse(address)
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address()
    // ::a.b.c.d, the deprecated IPv4-compatible form: ipaddr.js calls it unicast,
    // and a host with a 6-in-4 route reaches a.b.c.d (127.0.0.1, 169.254.169.254)
    else if (v6.parts.slice(0, 6).every((part) => part === 0)) return false
  }
  return parsed.range() === 'unicast'
}

/** A `lookup` for http.request that resolves and then refuses non-public answers. */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0)
      const list = addresses as dns.LookupAddress[]
      if (!allowPrivate) {
        const bad = list.find((a) => !isPublicAddress(a.address))
        if (bad) return callback(new ForbiddenAddressError(hostname), '', 0)
      }
      if (list.length === 0) {
        return callback(new Error(`${hostname} did not resolve`), '', 0)
      }
      if (options.all) return callback(null, list)
      callback(null, list[0].address, list[0].family)
    })
  }
}

/**
 * What can be said of a URL before connecting: the scheme, and the address
 * when the host is an IP literal (sockets skip the lookup hook for those).
 */
export function checkWebhookUrl(url: string, allowPrivate: boolean): URL {
  const parsed = new URL(url)
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ForbiddenAddressError(
      `A ${parsed.protocol} URL`,
      'is not allowed: http or https only'
    )
  }
  if (parsed.username || parsed.password) {
    throw new ForbiddenAddressError(parsed.host, 'is given with credentials, which are not allowed')
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '')
  if (!allowPrivate && net.isIP(host) && !isPublicAddress(host)) {
    throw new ForbiddenAddressError(host, 'is not a public address')
  }
  return parsed
}
