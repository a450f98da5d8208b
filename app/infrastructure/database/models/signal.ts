import { DateTime } from 'luxon'
import { column } from '@adonisjs/lucid/orm'
import { UuidModel } from './base.js'
import { jsonColumn } from './json_column.js'

export type Severity = 'low' | 'medium' | 'high' | 'critical'
export type SignalStatus = 'active' | 'expired' | 'acknowledged'

export default class Signal extends UuidModel {
  @column()
  declare type: string

  @column()
  declare asset: string

  @column()
  declare severity: Severity

  @jsonColumn()
  declare data: Record<string, unknown>

  @column.dateTime()
  declare detectedAt: DateTime

  @column.dateTime()
  declare expiresAt: DateTime | null

  @column()
  declare status: SignalStatus

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime
}
