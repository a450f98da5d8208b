import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * A feed that re-sends the same detection (same type, asset and instant) must
 * not create a second signal — nor a second round of alerts.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(
      'alter table signals add constraint signals_type_asset_detected_at_unique unique (type, asset, detected_at)'
    )
  }

  async down() {
    this.schema.raw('alter table signals drop constraint signals_type_asset_detected_at_unique')
  }
}
