import { DateTime } from 'luxon'
import { column } from '@adonisjs/lucid/orm'
import { UuidModel } from './base.js'
import { jsonColumn } from './json_column.js'

/** A row of the append-only event log. Never updated or deleted (the database refuses). */
export default class EventStoreEntry extends UuidModel {
  static table = 'event_store'

  /** bigserial: global order. pg returns int8 as a string. */
  @column()
  declare position: string

  @column()
  declare aggregateType: string

  @column()
  declare aggregateId: string

  @column()
  declare version: number

  @column()
  declare eventType: string

  @jsonColumn()
  declare payload: Record<string, unknown>

  @jsonColumn()
  declare metadata: Record<string, unknown>

  @column.dateTime()
  declare occurredAt: DateTime

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime
}
