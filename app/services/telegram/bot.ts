import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import type { Update } from 'grammy/types'
import { chainName, protocolName } from '#domain/alerts/messages'
import { escapeHtml } from '#domain/delivery/render'
import { sendTelegramMessage } from '#infrastructure/delivery/telegram_client'
import { latestPositions } from '#services/positions/read_positions'
import {
  linkChat,
  unlinkTelegramChat,
  unlinkWalletChat,
  userIdByChat,
  walletsByChat,
} from './linking.js'

const CODE = /^[A-Za-z0-9_-]{16,64}$/

const HELP =
  'I send your DeFi Assistant alerts here.\n' +
  '/status — your latest health factors\n' +
  '/stop — stop alerts in this chat\n' +
  'To link this chat, open the link from your dashboard (Settings → Telegram) or paste its code here.'

export type BotReply =
  'linked' | 'bad_code' | 'status' | 'not_linked' | 'stopped' | 'help' | 'ignored'

/** `/start@MyBot abc` → ['/start', 'abc']; commands are case-insensitive. */
function parseCommand(text: string): { command: string | null; argument: string } {
  const trimmed = text.trim()
  if (!trimmed.startsWith('/')) return { command: null, argument: trimmed }
  const [head, ...rest] = trimmed.split(/\s+/)
  return { command: head.split('@')[0].toLowerCase(), argument: rest.join(' ') }
}

/**
 * What the bot does with one update from the webhook (run in a job). Replies
 * go through the same paced sender as alerts; a failed reply is logged, never
 * retried as a whole (that would consume a link code twice).
 */
export async function handleUpdate(update: Update): Promise<BotReply> {
  const message = update.message
  if (!message?.text) return 'ignored'
  const chatId = String(message.chat.id)
  const { command, argument } = parseCommand(message.text)

  const reply = async (html: string) => {
    const outcome = await sendTelegramMessage(chatId, html)
    if (outcome.kind !== 'sent') logger.warn({ outcome }, 'telegram reply not delivered')
  }

  if ((command === '/start' && CODE.test(argument)) || (command === null && CODE.test(argument))) {
    const result = await linkChat(chatId, argument, command ? 'start' : 'message')
    if (result.linked) {
      await reply(
        result.walletId
          ? '✅ This chat is linked to a wallet. Its alerts will arrive here. Send /status any time.'
          : '✅ This chat is linked. Your alerts will arrive here. Send /status any time.'
      )
      return 'linked'
    }
    await reply(
      'This code is invalid, expired or already used. Get a new link from your dashboard.'
    )
    return 'bad_code'
  }

  if (command === '/status') {
    const userId = await userIdByChat(chatId)
    if (userId) {
      await reply(await statusText(userId))
      return 'status'
    }
    // a group linked to wallets sees those wallets' positions, nothing else of their users
    const wallets = await walletsByChat(chatId)
    if (wallets.length === 0) {
      await reply(escapeHtml(HELP))
      return 'not_linked'
    }
    await reply(await walletStatusText(wallets))
    return 'status'
  }

  if (command === '/stop') {
    const userId = await userIdByChat(chatId)
    const wallets = await walletsByChat(chatId)
    await db.transaction(async (trx) => {
      if (userId) await unlinkTelegramChat(trx, userId, chatId, 'bot_command')
      for (const w of wallets) await unlinkWalletChat(trx, w.userId, w.id, chatId, 'bot_command')
    })
    await reply('This chat is unlinked: no more alerts here. Link it again from your dashboard.')
    return 'stopped'
  }

  await reply(escapeHtml(HELP))
  return 'help'
}

async function statusText(userId: string): Promise<string> {
  const rows = await latestPositions(userId)
  if (rows.length === 0) return 'No positions recorded yet.'
  return `<b>Your positions</b>\n${statusLines(rows).join('\n')}`
}

async function walletStatusText(wallets: { userId: string; address: string }[]): Promise<string> {
  const rows = []
  for (const userId of new Set(wallets.map((w) => w.userId))) {
    const addresses = new Set(wallets.filter((w) => w.userId === userId).map((w) => w.address))
    const positions = await latestPositions(userId)
    rows.push(...positions.filter((r) => addresses.has(r.wallet_address)))
  }
  // a wallet watched by two users linked to one group: its positions once
  const seen = new Set<string>()
  const unique = rows.filter((r) => {
    const k = `${r.wallet_address}|${r.protocol}|${r.chain_id}`
    return seen.has(k) ? false : (seen.add(k), true)
  })
  if (unique.length === 0) return 'No positions recorded yet.'
  const byWallet = new Map<string, typeof unique>()
  for (const r of unique)
    byWallet.set(r.wallet_address, [...(byWallet.get(r.wallet_address) ?? []), r])
  return [...byWallet.entries()]
    .map(([address, list]) => `<b>${escapeHtml(address)}</b>\n${statusLines(list).join('\n')}`)
    .join('\n\n')
}

function statusLines(rows: Awaited<ReturnType<typeof latestPositions>>): string[] {
  return rows.map((row) => {
    const hf =
      row.health_factor === null ? '∞ (no debt)' : Number.parseFloat(row.health_factor).toFixed(3)
    const at = new Date(row.snapshot_at).toISOString().slice(0, 16).replace('T', ' ')
    return `• ${escapeHtml(protocolName(row.protocol))} on ${escapeHtml(chainName(row.chain_id))}: HF <b>${escapeHtml(hf)}</b> (${at} UTC)`
  })
}
