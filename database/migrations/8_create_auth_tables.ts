import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Sign-in and API access: user access tokens, service clients and their
 * tokens, single-use SIWE nonces, and the rate limiter's counters.
 */
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
        constraint api_clients_name_format check (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
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
        constraint siwe_nonces_format check (nonce ~ '^[A-Za-z0-9]{16,64}$')
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
  }

  async down() {
    this.schema.raw('drop table if exists rate_limits')
    this.schema.raw('drop table if exists siwe_nonces')
    this.schema.raw('drop table if exists api_client_tokens')
    this.schema.raw('drop table if exists api_clients')
    this.schema.raw('drop table if exists auth_access_tokens')
  }
}
