import type { User } from '#models'
import { withDefaults } from '#domain/users/preferences'

/** The signed-in user's own profile. Never the chat id or any secret. */
export function userToJson(user: User) {
  return {
    id: user.id,
    walletAddress: user.walletAddress,
    email: user.email,
    preferences: withDefaults(user.preferences),
    telegramLinked: user.telegramChatId !== null,
    createdAt: user.createdAt.toUTC().toISO(),
    updatedAt: user.updatedAt.toUTC().toISO(),
  }
}
