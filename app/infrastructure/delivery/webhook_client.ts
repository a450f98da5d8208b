import http from 'node:http'
import https from 'node:https'
import { createHmac } from 'node:crypto'
import type { SendOutcome } from '#domain/delivery/outcome'
import { ForbiddenAddressError, checkWebhookUrl, guardedLookup } from './ssrf_guard.js'

export const SIGNATURE_HEADER = 'x-defi-assistant-signature'
export const TIMESTAMP_HEADER = 'x-defi-assistant-timestamp'

/** `v1=` + hex HMAC-SHA256 over `${timestamp}.${body}` — receivers recompute it with their secret. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

export interface WebhookOptions {
  allowPrivateAddresses: boolean
  timeoutMs: number
}

/**
 * POSTs a signed JSON body. 2xx is delivered; redirects are not followed (a
 * redirect could point inside our network) and count as failures like any
 * other status; a refused address is permanent.
 */
export function postWebhook(
  url: string,
  secret: string,
  body: string,
  options: WebhookOptions,
  now: () => Date = () => new Date()
): Promise<SendOutcome> {
  let target: URL
  try {
    target = checkWebhookUrl(url, options.allowPrivateAddresses)
  } catch (error) {
    return Promise.resolve({ kind: 'permanent', error: (error as Error).message })
  }
  const timestamp = String(Math.floor(now().getTime() / 1000))
  const client = target.protocol === 'https:' ? https : http
  return new Promise((resolve) => {
    // `timeout` below is the socket's idle time: a server trickling its status line
    // a byte every few seconds would hold the send — and the drainer's lane — forever
    const deadline = setTimeout(() => {
      settle({ kind: 'transient', error: `webhook: no answer within ${options.timeoutMs} ms` })
      request.destroy()
    }, options.timeoutMs)
    const settle = (outcome: SendOutcome) => {
      clearTimeout(deadline)
      resolve(outcome)
    }
    const request = client.request(
      target,
      {
        method: 'POST',
        lookup: guardedLookup(options.allowPrivateAddresses),
        timeout: options.timeoutMs,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'DeFiAssistant-Webhook/1',
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
        },
      },
      (response) => {
        // The status line decides; the body is not read. Waiting for it let a 2xx
        // whose body trickled past the deadline count as a failure, and be sent again.
        const status = response.statusCode ?? 0
        if (status >= 200 && status < 300) settle({ kind: 'sent' })
        else settle({ kind: 'transient', error: `webhook answered HTTP ${status}` })
        response.on('error', () => {})
        response.destroy()
      }
    )
    request.on('timeout', () =>
      request.destroy(new Error(`no answer within ${options.timeoutMs} ms`))
    )
    request.on('error', (error) => {
      if (error instanceof ForbiddenAddressError) {
        return settle({ kind: 'permanent', error: error.message })
      }
      settle({ kind: 'transient', error: `webhook: ${error.message}` })
    })
    request.end(body)
  })
}
