import { DateTime } from 'luxon'
import { beforeSave, belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import type { Asset } from '#domain/positions/types'
import { toDecimal, toStoredAssets } from '#domain/positions/documented_shape'
import { canonicalProtocol } from '#domain/shared/protocols'
import { UuidModel } from './base.js'
import { jsonColumn } from './json_column.js'
import User from './user.js'

/** One snapshot of a lending position. Immutable once stored. */
export default class Position extends UuidModel {
  @column()
  declare userId: string

  @column()
  declare walletAddress: string

  /** Stored canonical (`aave_v3`); the schema document's `aave` is taken as an alias. */
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

  /**
   * Rows written through the model the way the schema document shows
   * (`protocol: 'aave'`, `healthFactor: 2.5`, `valueUSD`) are stored in the
   * one shape every reader expects — on the instance too, so it reads back
   * as the database holds it.
   */
  @beforeSave()
  static toStoredShape(position: Position) {
    if (typeof position.protocol === 'string') {
      position.protocol = canonicalProtocol(position.protocol)
    }
    const healthFactor: unknown = position.healthFactor
    if (typeof healthFactor === 'number') position.healthFactor = toDecimal(healthFactor)
    if (Array.isArray(position.collateral))
      position.collateral = toStoredAssets(position.collateral)
    if (Array.isArray(position.debt)) position.debt = toStoredAssets(position.debt)
  }
}
