import db from '@adonisjs/lucid/services/db'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Send slots shared by every worker, kept in PostgreSQL: reserving one moves
 * the key's next free instant forward by `intervalMs`, atomically (a row
 * lock), and returns the instant this sender may go. Used for Telegram's
 * bot-wide and per-chat limits; at ~30 messages/s the one-row update is cheap.
 */
export async function reserveSlot(key: string, intervalMs: number): Promise<Date> {
  const interval = `${intervalMs} milliseconds`
  const { rows } = await db.rawQuery(
    `insert into delivery_pacing as p (key, next_at) values (?, clock_timestamp() + ?::interval)
     on conflict (key) do update
       set next_at = greatest(p.next_at, clock_timestamp()) + ?::interval
     returning next_at - ?::interval as slot`,
    [key, interval, interval, interval]
  )
  return new Date(rows[0].slot)
}

/** Everyone holds back until `until` (Telegram said retry_after to the whole bot). */
export async function holdBack(key: string, until: Date): Promise<void> {
  await db.rawQuery(
    `insert into delivery_pacing as p (key, next_at) values (?, ?)
     on conflict (key) do update set next_at = greatest(p.next_at, excluded.next_at)`,
    [key, until.toISOString()]
  )
}

export async function waitFor(slot: Date): Promise<void> {
  const ms = slot.getTime() - Date.now()
  if (ms > 0) await sleep(ms)
}

/**
 * A lease that makes one sender per channel drain at a time (the others exit
 * at once). Taking it again as the same holder renews it; it runs out by
 * itself if its holder dies.
 */
export async function tryLease(key: string, holder: string, ttlMs: number): Promise<boolean> {
  const { rows } = await db.rawQuery(
    `insert into delivery_pacing as p (key, next_at, holder)
     values (?, clock_timestamp() + ?::interval, ?)
     on conflict (key) do update set next_at = excluded.next_at, holder = excluded.holder
       where p.next_at < clock_timestamp() or p.holder = excluded.holder
     returning key`,
    [key, `${ttlMs} milliseconds`, holder]
  )
  return rows.length > 0
}

export async function releaseLease(key: string, holder: string): Promise<void> {
  await db.rawQuery(
    `update delivery_pacing set next_at = '-infinity', holder = null where key = ? and holder = ?`,
    [key, holder]
  )
}

/** Slots in the past say nothing; keep the table small. */
export async function prunePacing(): Promise<number> {
  const { rowCount } = await db.rawQuery(
    `delete from delivery_pacing where next_at < now() - interval '1 hour' and key like 'tg:chat:%'`
  )
  return rowCount ?? 0
}
