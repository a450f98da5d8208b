import { DateTime } from 'luxon'
import { belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import type { Channel } from '#domain/users/preferences'
import { UuidModel } from './base.js'
import { jsonColumn } from './json_column.js'
import Signal, { type Severity } from './signal.js'
import User from './user.js'

export type AlertStatus = 'pending' | 'sent' | 'failed' | 'acknowledged'

export default class Alert extends UuidModel {
  @column()
  declare userId: string

  @column()
  declare signalId: string | null

  /** The wallet of the position it is about (docs/adr/0014); null for signals, digests, chain status. */
  @column()
  declare walletAddress: string | null

  @column()
  declare type: string

  @column()
  declare severity: Severity

  @column()
  declare channel: Channel

  @column()
  declare message: string

  @jsonColumn()
  declare metadata: Record<string, unknown>

  @column()
  declare status: AlertStatus

  @column()
  declare attempts: number

  @column()
  declare lastError: string | null

  @column.dateTime()
  declare sentAt: DateTime | null

  @column.dateTime()
  declare acknowledgedAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => User)
  declare user: BelongsTo<typeof User>

  @belongsTo(() => Signal)
  declare signal: BelongsTo<typeof Signal>
}
