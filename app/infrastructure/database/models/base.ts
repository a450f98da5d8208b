import { BaseModel, beforeCreate, column } from '@adonisjs/lucid/orm'
import { v7 as uuidv7 } from 'uuid'

/**
 * Primary keys are UUIDv7 (time-ordered, so appends stay local in the index).
 * The database has the same default for rows written by set-based SQL.
 */
export class UuidModel extends BaseModel {
  static selfAssignPrimaryKey = true

  @column({ isPrimary: true })
  declare id: string

  @beforeCreate()
  static assignUuid(model: UuidModel) {
    if (!model.id) model.id = uuidv7()
  }
}
