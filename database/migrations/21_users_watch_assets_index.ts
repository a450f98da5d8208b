import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Signal fan-out starts from the asset: the position heads that hold it (GIN
 * on symbols) and the users who watch it — this index. Without it every
 * signal, even one that concerns 50 users, read all users' preferences
 * (120–250 ms at 100k users, on the cores the API serves from). Upper-cased
 * in the expression because the match is case-insensitive and rows written
 * before the validator upper-cased symbols may hold lower case.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create function watch_assets_upper(preferences jsonb) returns text[]
      language sql immutable parallel safe as $$
        select coalesce(array_agg(upper(x)), '{}')
        from jsonb_array_elements_text(
          case when jsonb_typeof(preferences->'watchAssets') = 'array'
               then preferences->'watchAssets' else '[]'::jsonb end) as x
      $$
    `)
    this.schema.raw(
      'create index users_watch_assets_index on users using gin (watch_assets_upper(preferences))'
    )
  }

  async down() {
    this.schema.raw('drop index if exists users_watch_assets_index')
    this.schema.raw('drop function if exists watch_assets_upper(jsonb)')
  }
}
