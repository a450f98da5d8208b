import { DateTime } from 'luxon'
import { belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import { UuidModel } from './base.js'
import { jsonColumn } from './json_column.js'
import User from './user.js'

export type IntentStatus = 'active' | 'paused' | 'triggered' | 'cancelled' | 'expired'

export interface IntentConditionJson {
  metric: 'health_factor'
  operator: 'lt' | 'lte' | 'gt' | 'gte'
  value: string
}

export interface IntentActionJson {
  type: 'repay' | 'supply' | 'withdraw' | 'notify'
  asset: string
  amount: string
}

export default class Intent extends UuidModel {
  @column()
  declare userId: string

  /** The proven wallet the intent acts for (docs/adr/0014). */
  @column()
  declare walletAddress: string

  @column()
  declare name: string | null

  @column()
  declare protocol: string

  @column()
  declare chainId: number

  @jsonColumn()
  declare condition: IntentConditionJson

  @jsonColumn()
  declare action: IntentActionJson

  @column()
  declare status: IntentStatus

  /** Seconds between two triggers (column `cooldown`). */
  @column({ columnName: 'cooldown' })
  declare cooldownSeconds: number

  @column()
  declare maxExecutions: number | null

  @column()
  declare executionsCount: number

  @column.dateTime()
  declare lastTriggeredAt: DateTime | null

  @column.dateTime()
  declare expiresAt: DateTime | null

  @column.dateTime({ serializeAs: null })
  declare deletedAt: DateTime | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  @belongsTo(() => User)
  declare user: BelongsTo<typeof User>
}
