import { createHash, randomBytes } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import delivery from '#config/delivery'
import { NotFoundError } from '#domain/shared/errors'
import eventRecorder from '#services/events/event_recorder'

export interface LinkCode {
  code: string
  url: string
  expiresAt: DateTime
}

/** What is stored of a code (11_create_delivery_tables.ts): a read of the table yields no usable code. */
const stored = (code: string) => createHash('sha256').update(code).digest('hex')

/**
 * 24 random bytes → 32 base64url characters: `A-Za-z0-9_-`, fits Telegram's
 * 64-char start parameter. A user has one code at a time for their own chat,
 * and one per wallet for that wallet's chat (a team's group, docs/adr/0014): a
 * new one replaces the others of the same target (a page reloaded, a code
 * shown twice), which also keeps the table at one row per user and wallet.
 * `walletId` must be one of the user's wallets: NotFoundError otherwise.
 */
export async function createLinkCode(
  userId: string,
  walletId: string | null = null
): Promise<LinkCode> {
  const code = randomBytes(24).toString('base64url')
  const expiresAt = DateTime.utc().plus({ minutes: delivery.telegram.linkCodeTtlMinutes })
  await db.transaction(async (trx) => {
    if (walletId !== null) {
      const { rows } = await trx.rawQuery(
        `select 1 from user_wallets where id = ? and user_id = ?`,
        [walletId, userId]
      )
      if (rows.length === 0) throw new NotFoundError('wallet')
    }
    // two requests at once would each delete, then each insert: serialise them per
    // user and target — on an advisory lock, not the user row, which linkChat locks
    // after the code row (the other order would risk a deadlock with a code being used)
    await trx.rawQuery(`select pg_advisory_xact_lock(hashtextextended('tg-link:' || ?, 0))`, [
      walletId === null ? userId : `${userId}:${walletId}`,
    ])
    const codes = trx.from('telegram_link_codes').where('user_id', userId)
    if (walletId === null) codes.whereNull('wallet_id')
    else codes.where('wallet_id', walletId)
    await codes.delete()
    await trx.table('telegram_link_codes').insert({
      code: stored(code),
      user_id: userId,
      wallet_id: walletId,
      expires_at: expiresAt.toISO(),
    })
  })
  return {
    code,
    url: `https://t.me/${delivery.telegram.botUsername}?start=${code}`,
    expiresAt,
  }
}

export type LinkResult =
  { linked: true; userId: string; walletId: string | null } | { linked: false }

/**
 * Ties a chat to the user who asked for `code`: the code is consumed
 * atomically (single use, unexpired). A chat belongs to one user: if another
 * user had it, they lose it (with their own `telegram.unlinked`).
 *
 * A code asked for one wallet (`POST /me/wallets/:id/telegram/link`) links the
 * chat — typically a group, whose id is negative — to that wallet's alerts
 * instead (`user_wallets.telegram_chat_id`); the user's own chat is left as it
 * is. A group may take the alerts of several wallets, of several users.
 */
export async function linkChat(
  chatId: string,
  code: string,
  via: 'start' | 'message'
): Promise<LinkResult> {
  return db.transaction(async (trx) => {
    const { rows } = await trx.rawQuery(
      `update telegram_link_codes set used_at = now()
        where code = ? and used_at is null and expires_at > now()
        returning user_id, wallet_id`,
      [stored(code)]
    )
    if (rows.length === 0) return { linked: false }
    const userId: string = rows[0].user_id
    const walletId: string | null = rows[0].wallet_id
    if (walletId !== null) return linkWalletChat(trx, userId, walletId, chatId, via)

    const { rows: previous } = await trx.rawQuery(
      `select id from users where telegram_chat_id = ? and id <> ? for update`,
      [chatId, userId]
    )
    for (const other of previous)
      await unlinkTelegramChat(trx, other.id, chatId, 'linked_elsewhere')

    const { rows: user } = await trx.rawQuery(
      `select telegram_chat_id from users where id = ? for update`,
      [userId]
    )
    if (user[0]?.telegram_chat_id === chatId) return { linked: true, userId, walletId: null }
    await trx.rawQuery(`update users set telegram_chat_id = ?, updated_at = now() where id = ?`, [
      chatId,
      userId,
    ])
    await eventRecorder.append(trx, {
      aggregateType: 'user',
      aggregateId: userId,
      eventType: 'telegram.linked',
      // The chat id is private and not needed to replay: it stays out of the event.
      payload: { via, replacedChat: user[0]?.telegram_chat_id !== null },
    })
    return { linked: true, userId, walletId: null }
  })
}

async function linkWalletChat(
  trx: TransactionClientContract,
  userId: string,
  walletId: string,
  chatId: string,
  via: 'start' | 'message'
): Promise<LinkResult> {
  const { rows } = await trx.rawQuery(
    `select telegram_chat_id from user_wallets where id = ? and user_id = ? for update`,
    [walletId, userId]
  )
  // the wallet was removed since (its codes go with it): nothing to link
  if (rows.length === 0) return { linked: false }
  const before: string | null = rows[0].telegram_chat_id
  if (before === chatId) return { linked: true, userId, walletId }
  await trx.rawQuery(
    `update user_wallets set telegram_chat_id = ?, updated_at = now() where id = ?`,
    [chatId, walletId]
  )
  await eventRecorder.append(trx, {
    aggregateType: 'user',
    aggregateId: userId,
    eventType: 'telegram.linked',
    // a wallet's chat, not the user's: the user's own link state does not change
    payload: { via, walletId, replacedChat: before !== null },
  })
  return { linked: true, userId, walletId }
}

/** Unlinks `chatId` from the wallet if it is still its chat; records `telegram.unlinked`. */
export async function unlinkWalletChat(
  trx: TransactionClientContract,
  userId: string,
  walletId: string,
  chatId: string,
  reason: 'user' | 'bot_command' | 'blocked' | 'chat_not_found'
): Promise<boolean> {
  const { rows } = await trx.rawQuery(
    `update user_wallets set telegram_chat_id = null, updated_at = now()
      where id = ? and user_id = ? and telegram_chat_id = ?
      returning id`,
    [walletId, userId, chatId]
  )
  if (rows.length === 0) return false
  await eventRecorder.append(trx, {
    aggregateType: 'user',
    aggregateId: userId,
    eventType: 'telegram.unlinked',
    payload: { reason, walletId },
  })
  return true
}

/** DELETE /me/wallets/:id/telegram: idempotent; NotFoundError for a wallet not on the user's list. */
export async function unlinkWallet(userId: string, walletId: string): Promise<void> {
  await db.transaction(async (trx) => {
    const { rows } = await trx.rawQuery(
      `select telegram_chat_id from user_wallets where id = ? and user_id = ? for update`,
      [walletId, userId]
    )
    if (rows.length === 0) throw new NotFoundError('wallet')
    const chatId: string | null = rows[0].telegram_chat_id
    if (chatId) await unlinkWalletChat(trx, userId, walletId, chatId, 'user')
  })
}

/** The wallets whose alerts go to `chatId` (a group linked by `/start <code>`). */
export async function walletsByChat(
  chatId: string
): Promise<{ id: string; userId: string; address: string }[]> {
  const { rows } = await db.rawQuery(
    `select id, user_id, address from user_wallets where telegram_chat_id = ? order by user_id, address`,
    [chatId]
  )
  return rows.map((r: { id: string; user_id: string; address: string }) => ({
    id: r.id,
    userId: r.user_id,
    address: r.address,
  }))
}

/** Unlinks `chatId` from the user if it is still theirs; records `telegram.unlinked`. */
export async function unlinkTelegramChat(
  trx: TransactionClientContract,
  userId: string,
  chatId: string,
  reason: 'user' | 'bot_command' | 'blocked' | 'chat_not_found' | 'linked_elsewhere'
): Promise<boolean> {
  const { rows } = await trx.rawQuery(
    `update users set telegram_chat_id = null, updated_at = now()
      where id = ? and telegram_chat_id = ?
      returning id`,
    [userId, chatId]
  )
  if (rows.length === 0) return false
  await eventRecorder.append(trx, {
    aggregateType: 'user',
    aggregateId: userId,
    eventType: 'telegram.unlinked',
    payload: { reason },
  })
  return true
}

/** DELETE /me/telegram: idempotent. */
export async function unlinkUser(userId: string): Promise<void> {
  await db.transaction(async (trx) => {
    const { rows } = await trx.rawQuery(
      `select telegram_chat_id from users where id = ? for update`,
      [userId]
    )
    const chatId: string | null = rows[0]?.telegram_chat_id ?? null
    if (chatId) await unlinkTelegramChat(trx, userId, chatId, 'user')
  })
}

export async function userIdByChat(chatId: string): Promise<string | null> {
  const { rows } = await db.rawQuery(`select id from users where telegram_chat_id = ?`, [chatId])
  return rows[0]?.id ?? null
}
