import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Sign-in and API access: user access tokens, service clients and their
 * tokens, single-use SIWE nonces, and the rate limiter's counters.
 *
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
const TOKEN_TABLES = ['auth_access_tokens', 'api_client_tokens']
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create table auth_access_tokens (
        id bigserial primary key,
        tokenable_id uuid not null references users (id) on delete cascade,
        type text not null,
        name text,
        hash text not null,
        abilities text not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        last_used_at timestamptz,
        expires_at timestamptz,
        constraint auth_access_tokens_hash_unique unique (hash)
      )
    `)
    this.schema.raw(
      'create index auth_access_tokens_tokenable_id_index on auth_access_tokens (tokenable_id)'
    )

    this.schema.raw(`
      create table api_clients (
        id uuid primary key default uuid_generate_v7(),
        name text not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint api_clients_name_unique unique (name),
        constraint api_clients_name_format check (length(name) <= 64 and name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]*$')
      )
    `)
    this.schema.raw(`
      create table api_client_tokens (
        id bigserial primary key,
        tokenable_id uuid not null references api_clients (id) on delete cascade,
        type text not null,
        name text,
        hash text not null,
        abilities text not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        last_used_at timestamptz,
        expires_at timestamptz,
        constraint api_client_tokens_hash_unique unique (hash)
      )
    `)
    this.schema.raw(
      'create index api_client_tokens_tokenable_id_index on api_client_tokens (tokenable_id)'
    )

    this.schema.raw(`
      create table siwe_nonces (
        nonce text primary key,
        expires_at timestamptz not null,
        used_at timestamptz,
        created_at timestamptz not null default now(),
        constraint siwe_nonces_format check (length(nonce) between 16 and 64 and nonce ~ '^[A-Za-z0-9]+$')
      )
    `)
    this.schema.raw('create index siwe_nonces_expires_at_index on siwe_nonces (expires_at)')

    // @adonisjs/limiter database store
    this.schema.raw(`
      create table rate_limits (
        key varchar(255) primary key,
        points integer not null default 0,
        expire bigint
      )
    `)

    this.schema.raw(`
      create or replace function access_tokens_deleted() returns trigger language plpgsql as $$
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
      create or replace function access_token_changed() returns trigger language plpgsql as $$
      begin
        perform pg_notify('access_tokens_revoked', tg_table_name || ':' || old.id::text);
        return null;
      end
      $$
    `)
    this.schema.raw(`
      create or replace function access_tokens_truncated() returns trigger language plpgsql as $$
      begin
        perform pg_notify('access_tokens_revoked', tg_table_name || ':*');
        return null;
      end
      $$
    `)
    for (const table of TOKEN_TABLES) {
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
    this.schema.raw('drop table if exists rate_limits')
    this.schema.raw('drop table if exists siwe_nonces')
    this.schema.raw('drop table if exists api_client_tokens')
    this.schema.raw('drop table if exists api_clients')
    this.schema.raw('drop table if exists auth_access_tokens')
    this.schema.raw('drop function if exists access_tokens_truncated()')
    this.schema.raw('drop function if exists access_token_changed()')
    this.schema.raw('drop function if exists access_tokens_deleted()')
  }
}
