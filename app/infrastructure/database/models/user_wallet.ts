import { DateTime } from 'luxon'
import { belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import type { Channel } from '#domain/users/preferences'
import { UuidModel } from './base.js'
import { jsonColumn } from './json_column.js'
import User from './user.js'

export type WalletKind = 'proven' | 'watched'
export type WalletProof = 'sign_in' | 'siwe' | 'eip1271'

/** What the user chose for this wallet; unset keys fall back to the user's preferences. */
export interface WalletPreferences {
  alertThresholds?: { healthFactor?: number; liquidationProbability24h?: number }
  channels?: Channel[]
}

/** A wallet on a user's list (docs/adr/0014): proven (theirs) or watched (anyone's). */
export default class UserWallet extends UuidModel {
  static table = 'user_wallets'

  @column()
  declare userId: string

  /** Lower-case. */
  @column()
  declare address: string

  @column()
  declare kind: WalletKind

  /** How a proven wallet was proven; null for a watched one. */
  @column()
  declare proof: WalletProof | null

  @column()
  declare label: string | null

  @jsonColumn()
  declare preferences: WalletPreferences

  /** bigint: pg returns it as a string. Not serialized: a chat id is private. */
  @column({ serializeAs: null })
  declare telegramChatId: string | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => User)
  declare user: BelongsTo<typeof User>
}
