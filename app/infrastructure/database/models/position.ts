import { DateTime } from 'luxon'
import { belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import type { Asset } from '#domain/positions/types'
import { UuidModel } from './base.js'
import { jsonColumn } from './json_column.js'
import User from './user.js'

/** One snapshot of a lending position. Immutable once stored. */
export default class Position extends UuidModel {
  @column()
  declare userId: string

  @column()
  declare walletAddress: string

  @column()
  declare protocol: string

  @column()
  declare chainId: number

  /** numeric as a decimal string; null means no debt (infinite). */
  @column()
  declare healthFactor: string | null

  @jsonColumn()
  declare collateral: Asset[]

  @jsonColumn()
  declare debt: Asset[]

  @jsonColumn()
  declare metadata: Record<string, unknown>

  @column.dateTime()
  declare snapshotAt: DateTime

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @belongsTo(() => User)
  declare user: BelongsTo<typeof User>
}
