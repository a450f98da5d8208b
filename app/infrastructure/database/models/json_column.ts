import { column } from '@adonisjs/lucid/orm'

/**
 * A jsonb column. `pg` parses jsonb on read, but on write it sends JS arrays
 * as Postgres array literals, so every value goes out through JSON.stringify.
 */
export function jsonColumn(options: { serializeAs?: string | null } = {}) {
  return column({
    prepare: (value: unknown) => (value === undefined ? undefined : JSON.stringify(value)),
    ...options,
  })
}
