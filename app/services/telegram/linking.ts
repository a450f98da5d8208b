import { createHash, randomBytes } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import delivery from '#config/delivery'
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
 * 64-char start parameter. A user has one code at a time: a new one replaces
 * the others (a page reloaded, a code shown twice), which also keeps the table
 * at one row per user.
 */
export async function createLinkCode(userId: string): Promise<LinkCode> {
  const code = randomBytes(24).toString('base64url')
  const expiresAt = DateTime.utc().plus({ minutes: delivery.telegram.linkCodeTtlMinutes })
  await db.transaction(async (trx) => {
    // two requests at once would each delete, then each insert: serialise them per
    // user — on an advisory lock, not the user row, which linkChat locks after the
    // code row (the other order would risk a deadlock with a code being used)
    await trx.rawQuery(`select pg_advisory_xact_lock(hashtextextended('tg-link:' || ?, 0))`, [
      userId,
    ])
    await trx.from('telegram_link_codes').where('user_id', userId).delete()
    await trx
      .table('telegram_link_codes')
      .insert({ code: stored(code), user_id: userId, expires_at: expiresAt.toISO() })
  })
  return {
    code,
    url: `https://t.me/${delivery.telegram.botUsername}?start=${code}`,
    expiresAt,
  }
}

export type LinkResult = { linked: true; userId: string } | { linked: false }

/**
 * Ties a chat to the user who asked for `code`: the code is consumed
 * atomically (single use, unexpired). A chat belongs to one user: if another
 * user had it, they lose it (with their own `telegram.unlinked`).
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
        returning user_id`,
      [stored(code)]
    )
    if (rows.length === 0) return { linked: false }
    const userId: string = rows[0].user_id

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
    if (user[0]?.telegram_chat_id === chatId) return { linked: true, userId }
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
    return { linked: true, userId }
  })
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
