import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * users: one per wallet that signed in. Also the SQL helpers every later table
 * and query relies on: uuid_generate_v7() for keys, known_time_zone() and
 * watch_assets_upper() for the statements that read users' preferences.
 *
 * Functions are `create or replace`: `migration:fresh` drops tables, not
 * functions, and must be able to run this file again on what it leaves.
 */
export default class extends BaseSchema {
  async up() {
    // UUIDv7 (RFC 9562) in SQL so set-based INSERT ... SELECT statements get
    // time-ordered keys too: 48-bit millisecond timestamp, version 7, random rest.
    this.schema.raw(`
      create or replace function uuid_generate_v7() returns uuid
      language sql volatile parallel safe as $$
        select encode(
          set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
              placing substring(int8send((extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
              from 1 for 6),
            52, 1), 53, 1),
          'hex')::uuid
      $$
    `)

    // Format checks use a length test and `+`, not counted repetition (`{40}`):
    // PostgreSQL's regex engine unrolls a bound into that many states, 3 µs a row
    // against 0.5 µs — on every row written (bench/RESULTS.md).
    // webhook_secret: the per-user HMAC key of the webhook channel, encrypted with
    // APP_KEY (it must be readable to sign, so it is not hashed).
    this.schema.raw(`
      create table users (
        id uuid primary key default uuid_generate_v7(),
        wallet_address text not null,
        preferences jsonb not null default '{}'::jsonb,
        telegram_chat_id bigint,
        email text,
        webhook_secret text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint users_wallet_address_unique unique (wallet_address),
        constraint users_telegram_chat_id_unique unique (telegram_chat_id),
        constraint users_wallet_address_format check (length(wallet_address) = 42 and wallet_address ~ '^0x[0-9a-f]+$'),
        constraint users_preferences_object check (jsonb_typeof(preferences) = 'object'),
        constraint users_email_format check (email is null or (length(email) <= 254 and email ~ '^[^@\\s]+@[^@\\s]+$'))
      )
    `)

    // Signal fan-out starts from the asset: the position heads that hold it and
    // the users who watch it — this index. Without it every signal read all
    // users' preferences (120–250 ms at 100k users). Upper-cased because the
    // match is case-insensitive.
    this.schema.raw(`
      create or replace function watch_assets_upper(preferences jsonb) returns text[]
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

    // The zone when PostgreSQL knows it, 'UTC' otherwise. The statements that
    // read users' zones (fan-out, digests) serve many users at once; one zone
    // PostgreSQL does not know (a name luxon accepts and tzdata dropped) would
    // fail the whole statement, and every user with it. Called once per distinct
    // zone: the exception block costs a subtransaction.
    this.schema.raw(`
      create or replace function known_time_zone(tz text) returns text language plpgsql stable as $$
      begin
        perform now() at time zone tz;
        return tz;
      exception when invalid_parameter_value then
        return 'UTC';
      end
      $$
    `)
  }

  async down() {
    this.schema.raw('drop table if exists users')
    this.schema.raw('drop function if exists known_time_zone(text)')
    this.schema.raw('drop function if exists watch_assets_upper(jsonb)')
    this.schema.raw('drop function if exists uuid_generate_v7()')
  }
}
