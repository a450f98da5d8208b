import { createHash, timingSafeEqual } from 'node:crypto'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import delivery from '#config/delivery'
import { DomainError } from '#domain/shared/errors'

/** Equal-length digests, compared in constant time: neither content nor length leaks. */
function secretMatches(given: string | undefined, expected: string | null): boolean {
  if (!given || !expected) return false
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

/**
 * Telegram's webhook is authenticated by the `X-Telegram-Bot-Api-Secret-Token`
 * header, before its body is read, as every other caller's token is.
 */
export default class TelegramSecretMiddleware {
  handle({ request }: HttpContext, next: NextFn) {
    const given = request.header('x-telegram-bot-api-secret-token')
    if (!secretMatches(given, delivery.telegram.webhookSecret)) {
      throw new DomainError('E_UNAUTHORIZED_ACCESS', 'Missing or wrong Telegram secret token')
    }
    return next()
  }
}
