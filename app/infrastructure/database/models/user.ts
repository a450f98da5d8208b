import { DateTime } from 'luxon'
import env from '#start/env'
import { column, hasMany } from '@adonisjs/lucid/orm'
import { CachedDbAccessTokensProvider } from '#infrastructure/auth/cached_providers'
import type { HasMany } from '@adonisjs/lucid/types/relations'
import type { StoredPreferences } from '#domain/users/preferences'
import { UuidModel } from './base.js'
import { jsonColumn } from './json_column.js'
import Position from './position.js'
import Alert from './alert.js'
import Intent from './intent.js'
import UserWallet from './user_wallet.js'

/** What a user chose (defaults are filled on read); the schema document's name for it. */
export type UserPreferences = StoredPreferences

export default class User extends UuidModel {
  @column()
  declare walletAddress: string

  /** What the user chose, never the defaults: those are filled on read. */
  @jsonColumn()
  declare preferences: StoredPreferences

  /** bigint: pg returns it as a string. Not serialized: a chat id is private. */
  @column({ serializeAs: null })
  declare telegramChatId: string | null

  @column()
  declare email: string | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  /** Every wallet on the user's list, the sign-in wallet included (docs/adr/0014). */
  @hasMany(() => UserWallet)
  declare wallets: HasMany<typeof UserWallet>

  @hasMany(() => Position)
  declare positions: HasMany<typeof Position>

  @hasMany(() => Alert)
  declare alerts: HasMany<typeof Alert>

  @hasMany(() => Intent)
  declare intents: HasMany<typeof Intent>

  static accessTokens = CachedDbAccessTokensProvider.forModel(User, {
    table: 'auth_access_tokens',
    type: 'user_token',
    prefix: 'usr_',
    tokenSecretLength: 40,
    expiresIn: env.get('ACCESS_TOKEN_TTL', '7 days'),
  })
}
