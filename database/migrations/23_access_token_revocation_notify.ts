import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Every process caches verified tokens (docs/adr/0002). A token deleted —
 * logout, `tokens:revoke`, its user or client deleted (cascade), SQL by hand —
 * or changed where it matters is announced on `access_tokens_revoked` when the
 * deleting transaction commits, so each process drops it at once instead of
 * serving it until its cache entry runs out. Payload: "<table>:<id>,<id>…",
 * or "<table>:*" (drop them all) when a statement deletes more than 100 or the
 * table is truncated. Writing last_used_at announces nothing. Triggers do not
 * fire under session_replication_role = replica (a restore, logical
 * replication): a process checks they are enabled when it starts listening.
 */
const TABLES = ['auth_access_tokens', 'api_client_tokens']

export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create function access_tokens_deleted() returns trigger language plpgsql as $$
      declare
        ids text[];
      begin
        select array_agg(id::text) into ids from (select id from gone limit 101) g;
        if ids is null then return null; end if;
        perform pg_notify('access_tokens_revoked', tg_table_name || ':' ||
          case when cardinality(ids) > 100 then '*' else array_to_string(ids, ',') end);
        return null;
      end
      $$
    `)
    this.schema.raw(`
      create function access_token_changed() returns trigger language plpgsql as $$
      begin
        perform pg_notify('access_tokens_revoked', tg_table_name || ':' || old.id::text);
        return null;
      end
      $$
    `)
    this.schema.raw(`
      create function access_tokens_truncated() returns trigger language plpgsql as $$
      begin
        perform pg_notify('access_tokens_revoked', tg_table_name || ':*');
        return null;
      end
      $$
    `)
    for (const table of TABLES) {
      this.schema.raw(`
        create trigger ${table}_truncated after truncate on ${table}
        for each statement execute function access_tokens_truncated()
      `)
      this.schema.raw(`
        create trigger ${table}_deleted after delete on ${table}
        referencing old table as gone
        for each statement execute function access_tokens_deleted()
      `)
      this.schema.raw(`
        create trigger ${table}_changed after update on ${table}
        for each row when (
          (old.hash, old.abilities, old.expires_at, old.type, old.tokenable_id)
            is distinct from (new.hash, new.abilities, new.expires_at, new.type, new.tokenable_id)
        ) execute function access_token_changed()
      `)
    }
  }

  async down() {
    for (const table of TABLES) {
      this.schema.raw(`drop trigger if exists ${table}_changed on ${table}`)
      this.schema.raw(`drop trigger if exists ${table}_deleted on ${table}`)
      this.schema.raw(`drop trigger if exists ${table}_truncated on ${table}`)
    }
    this.schema.raw('drop function if exists access_tokens_truncated()')
    this.schema.raw('drop function if exists access_token_changed()')
    this.schema.raw('drop function if exists access_tokens_deleted()')
  }
}
