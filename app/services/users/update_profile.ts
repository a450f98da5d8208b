import db from '@adonisjs/lucid/services/db'
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
export async function updateProfile(userId: string, patch: ProfilePatch): Promise<User> {
  return db.transaction(async (trx) => {
    const user = await User.query({ client: trx }).where('id', userId).forUpdate().firstOrFail()
    const before = { email: user.email, preferences: user.preferences }
    const preferences: StoredPreferences = patch.preferences
      ? deepMerge(user.preferences, patch.preferences)
      : user.preferences
    const email = patch.email === undefined ? user.email : patch.email

    const changes = diffPreferences(before, { email, preferences })
    if (changes.length === 0) return user

    user.merge({ email, preferences })
    await user.useTransaction(trx).save()
    await eventRecorder.append(trx, {
      aggregateType: 'user',
      aggregateId: user.id,
      eventType: 'user.preferences_updated',
      payload: { changes },
    })
    return user
  })
}

export function findUser(userId: string): Promise<User> {
  return User.findOrFail(userId)
}
