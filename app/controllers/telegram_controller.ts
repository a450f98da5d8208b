import type { HttpContext } from '@adonisjs/core/http'
import type { Update } from 'grammy/types'
import HandleTelegramUpdateJob from '#jobs/handle_telegram_update_job'
import { createLinkCode, unlinkUser, unlinkWallet } from '#services/telegram/linking'

export default class TelegramController {
  /** POST /telegram/webhook — Telegram's calls (its secret header is checked by middleware). */
  async webhook({ request, response }: HttpContext) {
    const update = request.body() as Partial<Update>
    // Anything else Telegram sends is acknowledged and dropped: a non-2xx would make it retry forever.
    if (typeof update.update_id === 'number' && update.message) {
      await HandleTelegramUpdateJob.dispatch({ update: update as Update })
        // Telegram redelivers an update it thinks we missed: handle each once.
        .dedup({ id: String(update.update_id), ttl: '1d' })
        .run()
    }
    return response.ok({ ok: true })
  }

  /** POST /api/v1/me/telegram/link */
  async link({ auth, response }: HttpContext) {
    const link = await createLinkCode(auth.use('api').getUserOrFail().id)
    return response.created({
      data: { code: link.code, url: link.url, expiresAt: link.expiresAt.toISO() },
    })
  }

  /** DELETE /api/v1/me/telegram */
  async unlink({ auth, response }: HttpContext) {
    await unlinkUser(auth.use('api').getUserOrFail().id)
    return response.noContent()
  }

  /** POST /api/v1/me/wallets/:id/telegram/link — a code that links a chat (a group) to one wallet's alerts. */
  async linkWallet({ auth, params, response }: HttpContext) {
    const link = await createLinkCode(auth.use('api').getUserOrFail().id, params.id)
    return response.created({
      data: { code: link.code, url: link.url, expiresAt: link.expiresAt.toISO() },
    })
  }

  /** DELETE /api/v1/me/wallets/:id/telegram — the wallet's alerts go to the user's own chat again. */
  async unlinkWallet({ auth, params, response }: HttpContext) {
    await unlinkWallet(auth.use('api').getUserOrFail().id, params.id)
    return response.noContent()
  }
}
