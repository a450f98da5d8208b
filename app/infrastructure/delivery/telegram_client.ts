import { setTimeout as sleep } from 'node:timers/promises'
import { Api, GrammyError, HttpError } from 'grammy'
import delivery from '#config/delivery'
import type { SendOutcome } from '#domain/delivery/outcome'
import { holdBack, reserveSlot, waitFor } from './pacing.js'

const BOT_KEY = 'tg:bot'

let client: { root: string; api: Api } | null = null

/**
 * grammY's Bot API client; its root comes from TELEGRAM_API_ROOT (a local
 * fake in tests, which may move it at run time: the client follows).
 */
export function telegramApi(): Api {
  if (!delivery.telegram.botToken) throw new Error('TELEGRAM_BOT_TOKEN is not set')
  if (client?.root !== delivery.telegram.apiRoot) {
    const api = new Api(delivery.telegram.botToken, {
      apiRoot: delivery.telegram.apiRoot,
      timeoutSeconds: 15,
    })
    client = { root: delivery.telegram.apiRoot, api }
  }
  return client.api
}

export function telegramConfigured(): boolean {
  return delivery.telegram.botToken !== null
}

/** When this process last started a send to each chat. */
const lastStart = new Map<string, number>()

/**
 * Sends one HTML message within the limits every worker shares: first the
 * chat's slot (1/s), then the bot's (~30/s) — in that order so a bot slot is
 * never held while waiting for a busy chat. The wait for the bot slot can
 * differ between two messages to one chat, so the chat's spacing is also
 * kept from the actual start of its previous send in this process.
 */
export async function sendTelegramMessage(chatId: string, html: string): Promise<SendOutcome>
export async function sendTelegramMessage(
  chatId: string,
  html: string,
  /** Asked once both slots are ours, right before the call: false sends nothing (null). */
  stillWanted: () => Promise<boolean>
): Promise<SendOutcome | null>
export async function sendTelegramMessage(
  chatId: string,
  html: string,
  stillWanted: () => Promise<boolean> = async () => true
): Promise<SendOutcome | null> {
  const interval = delivery.telegram.perChatIntervalMs
  await waitFor(await reserveSlot(`tg:chat:${chatId}`, interval))
  const previous = lastStart.get(chatId)
  if (previous !== undefined && previous + interval > Date.now()) {
    await sleep(previous + interval - Date.now())
  }
  await waitFor(await reserveSlot(BOT_KEY, Math.ceil(1000 / delivery.telegram.messagesPerSecond)))
  if (!(await stillWanted())) return null
  const now = Date.now()
  lastStart.set(chatId, now)
  if (lastStart.size > 10_000) {
    for (const [chat, at] of lastStart) if (at + interval < now) lastStart.delete(chat)
  }
  try {
    await telegramApi().sendMessage(chatId, html, {
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
    })
    return { kind: 'sent' }
  } catch (error) {
    return classifyTelegramError(error)
  }
}

export async function classifyTelegramError(error: unknown): Promise<SendOutcome> {
  if (error instanceof GrammyError) {
    const what = `Telegram ${error.error_code}: ${error.description}`
    if (error.error_code === 429) {
      const retryAfterMs = (error.parameters.retry_after ?? 1) * 1000
      // Flood control applies to the bot: every worker waits, not only this one.
      await holdBack(BOT_KEY, new Date(Date.now() + retryAfterMs))
      return { kind: 'rate_limited', retryAfterMs, error: what }
    }
    if (error.error_code === 403)
      return { kind: 'permanent', error: what, unlinkTelegram: 'blocked' }
    if (error.error_code >= 500) return { kind: 'transient', error: what }
    const movedTo = error.parameters.migrate_to_chat_id
    if (movedTo !== undefined) {
      return { kind: 'transient', error: what, telegramChatMovedTo: String(movedTo) }
    }
    if (error.error_code === 400 && /chat not found/i.test(error.description)) {
      return { kind: 'permanent', error: what, unlinkTelegram: 'chat_not_found' }
    }
    // 400 (chat not found, bad markup…): the same request would fail again.
    return { kind: 'permanent', error: what }
  }
  if (error instanceof HttpError)
    return { kind: 'transient', error: `Telegram network: ${error.message}` }
  return { kind: 'transient', error: `Telegram: ${(error as Error).message}` }
}
