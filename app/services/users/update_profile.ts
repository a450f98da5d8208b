import { randomBytes } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import encryption from '@adonisjs/core/services/encryption'
import delivery from '#config/delivery'
import { DomainError } from '#domain/shared/errors'
import { checkWebhookUrl } from '#infrastructure/delivery/ssrf_guard'
import { User } from '#models'
import { deepMerge, diffPreferences, type StoredPreferences } from '#domain/users/preferences'
import eventRecorder from '#services/events/event_recorder'

export interface ProfilePatch {
  email?: string | null
  preferences?: Record<string, unknown>
}

/**
 * Deep-merges the patch into the stored preferences and records
 * `user.preferences_updated` with the leaf-level diff — in one transaction,
 * with the user row locked so two concurrent PATCHes do not lose an update.
 */
export interface UpdatedProfile {
  user: User
  /** The webhook signing secret, only when this update set a new webhook URL. */
  webhookSecret: string | null
}

export async function updateProfile(userId: string, patch: ProfilePatch): Promise<UpdatedProfile> {
  const url = patch.preferences?.webhookUrl
  if (typeof url === 'string') {
    try {
      checkWebhookUrl(url, delivery.webhook.allowPrivateAddresses)
    } catch (error) {
      throw new DomainError(
        'E_VALIDATION_ERROR',
        (error as Error).message,
        'preferences.webhookUrl'
      )
    }
  }
  const timezone = patch.preferences?.timezone
  if (typeof timezone === 'string') await checkZoneIsKnown(timezone)
  return db.transaction(async (trx) => {
    const user = await User.query({ client: trx }).where('id', userId).forUpdate().firstOrFail()
    const before = { email: user.email, preferences: user.preferences }
    const preferences: StoredPreferences = patch.preferences
      ? deepMerge(user.preferences, patch.preferences)
      : user.preferences
    const email = patch.email === undefined ? user.email : patch.email

    const changes = diffPreferences(before, { email, preferences })
    if (changes.length === 0) return { user, webhookSecret: null }

    // A new webhook URL gets a new signing secret, shown once; no URL, no secret.
    let webhookSecret: string | null = null
    if (preferences.webhookUrl !== before.preferences.webhookUrl) {
      webhookSecret = preferences.webhookUrl
        ? `whsec_${randomBytes(32).toString('base64url')}`
        : null
      await trx.rawQuery('update users set webhook_secret = ? where id = ?', [
        webhookSecret ? encryption.encrypt(webhookSecret) : null,
        user.id,
      ] as string[])
    }

    user.merge({ email, preferences })
    await user.useTransaction(trx).save()
    await eventRecorder.append(trx, {
      aggregateType: 'user',
      aggregateId: user.id,
      eventType: 'user.preferences_updated',
      payload: { changes },
    })
    return { user, webhookSecret }
  })
}

/**
 * The validator asks luxon (Node's tzdata); the quiet-hours and digest SQL asks
 * PostgreSQL's, which lacks names Node still takes (US/Pacific-New, SystemV/…).
 */
async function checkZoneIsKnown(timezone: string) {
  // the same check the fan-out and digests apply (known_time_zone(), 1_create_users_table.ts): 'UTC' for a zone it lacks
  const { rows } = await db.rawQuery('select known_time_zone(?) = ? as known', [timezone, timezone])
  if (!rows[0].known) {
    throw new DomainError(
      'E_VALIDATION_ERROR',
      'The timezone field must be an IANA time zone such as Europe/Paris',
      'preferences.timezone'
    )
  }
}

export function findUser(userId: string): Promise<User> {
  return User.findOrFail(userId)
}
