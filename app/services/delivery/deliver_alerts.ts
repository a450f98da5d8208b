import { randomUUID } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import { exactInstant } from '#infrastructure/database/exact_instant'
import logger from '@adonisjs/core/services/logger'
import encryption from '@adonisjs/core/services/encryption'
import delivery from '#config/delivery'
import { nextState, type SendOutcome } from '#domain/delivery/outcome'
import {
  emailBodies,
  telegramHtml,
  webhookBody,
  type RenderableAlert,
} from '#domain/delivery/render'
import eventRecorder from '#services/events/event_recorder'
import { releaseLease, tryLease } from '#infrastructure/delivery/pacing'
import { sendTelegramMessage, telegramConfigured } from '#infrastructure/delivery/telegram_client'
import { sendEmail } from '#infrastructure/delivery/mailer'
import { postWebhook } from '#infrastructure/delivery/webhook_client'
import { unlinkTelegramChat, unlinkWalletChat } from '#services/telegram/linking'

export const DELIVERY_CHANNELS = ['telegram', 'email', 'webhook'] as const
export type DeliveryChannel = (typeof DELIVERY_CHANNELS)[number]

interface ClaimedAlert extends RenderableAlert {
  userId: string
  channel: DeliveryChannel
  attempts: number
  /** The position's wallet, for alerts about one (null: signals, digests…). */
  walletAddress: string | null
  /**
   * Where a Telegram alert goes: the chat linked to its wallet (a team's group,
   * docs/adr/0014) when there is one, else the user's own chat.
   */
  telegramChatId: string | null
  /** The wallet whose chat `telegramChatId` is; null when it is the user's. */
  telegramWalletId: string | null
  email: string | null
  webhookUrl: string | null
  webhookSecret: string | null
  /** The lease this sender set (claimed_until, exact): whoever holds it owns the alert. */
  claim: string
}

export interface DrainResult {
  /** false when another sender holds this channel: it will do the work. */
  drained: boolean
  sent: number
  retried: number
  failed: number
  /** Due alerts were left for the next run (the time budget ran out, or some arrived at the end). */
  more: boolean
}

/**
 * The alerts table is the outbox. Due alerts (pending, past `deliver_after`,
 * not leased) are claimed with SKIP LOCKED and leased for `leaseMs`; a sender
 * that dies before marking them leaves them to be claimed again when the lease
 * runs out (so an alert can be sent twice, never lost). Critical alerts go first.
 * clock_timestamp(), not now(): a drain is long and now() is frozen per transaction.
 */
/** Pending, past `deliver_after`, not leased: what a sender may take now. */
const DUE = `status = 'pending' and channel = ?
  and (deliver_after is null or deliver_after <= clock_timestamp())
  and (claimed_until is null or claimed_until < clock_timestamp())`

/** The claim as exact text: compared for equality, whatever the session's settings. */
const CLAIM = exactInstant('claimed_until')

/**
 * The chat of the alert's wallet on its user's list, if one is linked: read in
 * the claim (and again right before the send), so unlinking takes effect at once.
 */
const WALLET_CHAT = `left join user_wallets w
  on w.user_id = x.user_id and w.address = x.wallet_address and w.telegram_chat_id is not null`

async function claimDue(channel: DeliveryChannel, limit: number): Promise<ClaimedAlert[]> {
  const { rows } = await db.rawQuery(
    `with due as (
       select x.id, w.id as wallet_id, w.telegram_chat_id as wallet_chat_id
       from alerts x ${WALLET_CHAT}
       where ${DUE}
       order by (x.severity = 'critical') desc, x.id
       limit ?
       for update of x skip locked
     )
     update alerts a
        set claimed_until = clock_timestamp() + ?::interval
       from due, users u
      where a.id = due.id and u.id = a.user_id
     returning a.id, a.user_id, a.type, a.severity, a.channel, a.message, a.metadata,
               a.attempts, a.created_at, a.wallet_address,
               coalesce(due.wallet_chat_id, u.telegram_chat_id) as telegram_chat_id,
               due.wallet_id as telegram_wallet_id, u.email,
               u.preferences->>'webhookUrl' as webhook_url, u.webhook_secret,
               ${CLAIM} as claim`,
    [channel, limit, `${delivery.leaseMs} milliseconds`]
  )
  return rows
    .map((r: Record<string, any>): ClaimedAlert => ({
      id: r.id,
      userId: r.user_id,
      type: r.type,
      severity: r.severity,
      channel: r.channel,
      message: r.message,
      metadata: r.metadata,
      attempts: r.attempts,
      createdAt: new Date(r.created_at).toISOString(),
      walletAddress: r.wallet_address,
      telegramChatId: r.telegram_chat_id,
      telegramWalletId: r.telegram_wallet_id,
      email: r.email,
      webhookUrl: r.webhook_url,
      webhookSecret: r.webhook_secret,
      claim: r.claim,
    }))
    .sort((a: ClaimedAlert, b: ClaimedAlert) => rank(a) - rank(b) || a.id.localeCompare(b.id))
}

const rank = (alert: ClaimedAlert) => (alert.severity === 'critical' ? 0 : 1)

async function hasDue(channel: DeliveryChannel): Promise<boolean> {
  const { rows } = await db.rawQuery(`select 1 from alerts where ${DUE} limit 1`, [channel])
  return rows.length > 0
}

/** Channels with alerts due now, for the sweeper. */
export async function channelsWithDueAlerts(): Promise<DeliveryChannel[]> {
  const result: DeliveryChannel[] = []
  for (const channel of DELIVERY_CHANNELS) if (await hasDue(channel)) result.push(channel)
  return result
}

/** Where the alert goes now: its wallet's chat, else its user's (one query, as at the claim). */
async function currentChat(
  alert: ClaimedAlert
): Promise<{ chatId: string | null; walletId: string | null }> {
  const { rows } = await db.rawQuery(
    `select coalesce(w.telegram_chat_id, u.telegram_chat_id) as chat_id, w.id as wallet_id
     from (select ?::uuid as user_id, ?::text as wallet_address) x
     join users u on u.id = x.user_id
     ${WALLET_CHAT}`,
    [alert.userId, alert.walletAddress]
  )
  return { chatId: rows[0]?.chat_id ?? null, walletId: rows[0]?.wallet_id ?? null }
}

function decryptSecret(stored: string | null): string | null {
  if (!stored) return null
  return encryption.decrypt<string>(stored) ?? null
}

/**
 * Renews the claim right before the send goes out, if it is still ours. A
 * sender can wait longer than its lease for a send slot (a Telegram 429 holds
 * the whole bot for retry_after, a minute or more); meanwhile another drainer
 * may have taken the alert, and both would send it. The lease value itself is
 * the fence: a new claim changed it.
 */
async function stillMine(alert: ClaimedAlert): Promise<boolean> {
  const { rows } = await db.rawQuery(
    `update alerts set claimed_until = clock_timestamp() + ?::interval
      where id = ? and status = 'pending' and claimed_until = ?::timestamptz
      returning ${CLAIM} as claim`,
    [`${delivery.leaseMs} milliseconds`, alert.id, alert.claim]
  )
  if (rows.length === 0) return false
  alert.claim = rows[0].claim
  return true
}

/** The attempt's outcome; null when the alert was no longer ours to send (nothing sent). */
async function send(alert: ClaimedAlert): Promise<SendOutcome | null> {
  switch (alert.channel) {
    case 'telegram':
      if (!telegramConfigured()) {
        return { kind: 'permanent', error: 'Telegram is not configured (TELEGRAM_BOT_TOKEN)' }
      }
      // Read again: the chat may have been unlinked (/stop, blocked) since the claim.
      ;({ chatId: alert.telegramChatId, walletId: alert.telegramWalletId } =
        await currentChat(alert))
      if (!alert.telegramChatId) return { kind: 'permanent', error: 'no Telegram chat is linked' }
      return sendTelegramMessage(alert.telegramChatId, telegramHtml(alert), () => stillMine(alert))
    case 'email':
      if (!alert.email) return { kind: 'permanent', error: 'no email address is set' }
      if (!(await stillMine(alert))) return null
      return sendEmail(alert.email, emailBodies(alert))
    case 'webhook': {
      if (!alert.webhookUrl) return { kind: 'permanent', error: 'no webhook URL is set' }
      const secret = decryptSecret(alert.webhookSecret)
      if (!secret) {
        // Stored encrypted with APP_KEY: a rotated key makes it unreadable; set the URL again.
        return { kind: 'permanent', error: 'the webhook signing secret cannot be read' }
      }
      if (!(await stillMine(alert))) return null
      return postWebhook(alert.webhookUrl, secret, webhookBody(alert), delivery.webhook)
    }
  }
}

/** Writes what the attempt came to, with its event, in one transaction. */
async function settle(alert: ClaimedAlert, outcome: SendOutcome): Promise<NextStateKind> {
  const next = nextState(outcome, alert.attempts, delivery.retry)
  await db.transaction(async (trx) => {
    if (
      outcome.kind === 'transient' &&
      outcome.telegramChatMovedTo &&
      alert.telegramChatId &&
      alert.telegramWalletId
    ) {
      // a group linked to wallets became a supergroup: every wallet linked to it follows
      await trx.rawQuery(
        `update user_wallets set telegram_chat_id = ?, updated_at = now() where telegram_chat_id = ?`,
        [outcome.telegramChatMovedTo, alert.telegramChatId]
      )
    } else if (
      outcome.kind === 'transient' &&
      outcome.telegramChatMovedTo &&
      alert.telegramChatId
    ) {
      // the same chat under its new id: the link stays, the retry goes there — unless
      // another user already linked that chat (a chat belongs to one user: the unique
      // key would fail this settle on every retry, forever)
      const moved = outcome.telegramChatMovedTo
      const { rows: free } = await trx.rawQuery(
        `update users set telegram_chat_id = ?, updated_at = now()
          where id = ? and telegram_chat_id = ?
            and not exists (select 1 from users o where o.telegram_chat_id = ?)
          returning id`,
        [moved, alert.userId, alert.telegramChatId, moved]
      )
      if (free.length === 0) {
        await unlinkTelegramChat(trx, alert.userId, alert.telegramChatId, 'linked_elsewhere')
      }
    }
    if (next.status === 'sent') {
      // sent_at is set once: if a sender whose lease ran out marked it first, this is a repeat.
      const { rows } = await trx.rawQuery(
        `update alerts
            set status = case when status = 'pending' then 'sent' else status end,
                sent_at = clock_timestamp(), attempts = attempts + 1, last_error = null,
                claimed_until = null, updated_at = clock_timestamp()
          where id = ? and sent_at is null
          returning attempts`,
        [alert.id]
      )
      if (rows.length === 0) return
      await eventRecorder.append(trx, {
        aggregateType: 'alert',
        aggregateId: alert.id,
        eventType: 'alert.sent',
        payload: { userId: alert.userId, channel: alert.channel, attempts: rows[0].attempts },
      })
      return
    }
    if (next.status === 'pending') {
      await trx.rawQuery(
        `update alerts
            set attempts = attempts + ?, last_error = ?, claimed_until = null,
                deliver_after = clock_timestamp() + ?::interval, updated_at = clock_timestamp()
          where id = ? and status = 'pending'`,
        [next.countsAsAttempt ? 1 : 0, next.error, `${next.retryInMs} milliseconds`, alert.id]
      )
      return
    }
    const { rows } = await trx.rawQuery(
      `update alerts
          set status = 'failed', attempts = attempts + 1, last_error = ?, claimed_until = null,
              updated_at = clock_timestamp()
        where id = ? and status = 'pending'
        returning attempts`,
      [next.error, alert.id]
    )
    if (rows.length === 0) return
    await eventRecorder.append(trx, {
      aggregateType: 'alert',
      aggregateId: alert.id,
      eventType: 'alert.failed',
      payload: {
        userId: alert.userId,
        channel: alert.channel,
        attempts: rows[0].attempts,
        error: next.error,
      },
    })
    if (outcome.kind === 'permanent' && outcome.unlinkTelegram && alert.telegramChatId) {
      // the wallet's group blocked or removed the bot: that wallet's link goes, not the user's chat
      if (alert.telegramWalletId) {
        await unlinkWalletChat(
          trx,
          alert.userId,
          alert.telegramWalletId,
          alert.telegramChatId,
          outcome.unlinkTelegram
        )
      } else {
        await unlinkTelegramChat(trx, alert.userId, alert.telegramChatId, outcome.unlinkTelegram)
      }
    }
  })
  return next.status
}

type NextStateKind = 'sent' | 'pending' | 'failed'

/**
 * Runs `work` over the alerts with `lanes` in parallel; alerts to one
 * recipient go through one lane, in order, so a busy Telegram chat waits for
 * its own slots without two lanes racing for it.
 */
async function inLanes(
  alerts: ClaimedAlert[],
  lanes: number,
  work: (alert: ClaimedAlert) => Promise<void>
) {
  const groups = new Map<string, ClaimedAlert[]>()
  for (const alert of alerts) {
    const key = alert.channel === 'telegram' ? `chat:${alert.telegramChatId}` : alert.id
    const group = groups.get(key)
    if (group) group.push(alert)
    else groups.set(key, [alert])
  }
  const queue = [...groups.values()]
  let next = 0
  const lane = async () => {
    while (next < queue.length) for (const alert of queue[next++]) await work(alert)
  }
  await Promise.all(Array.from({ length: Math.min(lanes, queue.length) }, lane))
}

/**
 * Sends a channel's due alerts until none is left or the time budget is spent.
 * One drainer per channel at a time (a lease in PostgreSQL): the limits of the
 * channel hold across workers, and a kick arriving while one drains costs one
 * query.
 */
export async function drainChannel(
  channel: DeliveryChannel,
  budgetMs = delivery.drainBudgetMs
): Promise<DrainResult> {
  const result: DrainResult = { drained: false, sent: 0, retried: 0, failed: 0, more: false }
  const leaseKey = `drain:${channel}`
  const holder = randomUUID()
  const lanes = delivery.lanes[channel]
  if (!(await tryLease(leaseKey, holder, delivery.leaseMs))) return result
  result.drained = true
  const deadline = Date.now() + budgetMs
  try {
    for (let first = true; ; first = false) {
      if (Date.now() >= deadline) {
        result.more = true
        break
      }
      // Renewed before each further batch; lost (a stall past the lease) = stop here.
      if (!first && !(await tryLease(leaseKey, holder, delivery.leaseMs))) break
      const batch = await claimDue(channel, lanes * 2)
      if (batch.length === 0) break
      await inLanes(batch, lanes, async (alert) => {
        try {
          const outcome = await send(alert)
          if (outcome === null) return // taken by another sender while we waited: theirs now
          const status = await settle(alert, outcome)
          if (status === 'sent') result.sent++
          else if (status === 'failed') result.failed++
          else result.retried++
        } catch (error) {
          // The lease runs out and the alert is claimed again: nothing is lost.
          logger.error({ err: error, alertId: alert.id }, 'delivery attempt could not be settled')
        }
      })
    }
  } finally {
    await releaseLease(leaseKey, holder)
  }
  // An alert committed after our last claim, whose kick found the lease held, is ours to report.
  if (!result.more) result.more = await hasDue(channel)
  return result
}
