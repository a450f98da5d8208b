import { BaseSchema } from '@adonisjs/lucid/schema'

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

    this.schema.raw(`
      create table users (
        id uuid primary key default uuid_generate_v7(),
        wallet_address text not null,
        preferences jsonb not null default '{}'::jsonb,
        telegram_chat_id bigint,
        email text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint users_wallet_address_unique unique (wallet_address),
        constraint users_telegram_chat_id_unique unique (telegram_chat_id),
        constraint users_wallet_address_format check (wallet_address ~ '^0x[0-9a-f]{40}$'),
        constraint users_preferences_object check (jsonb_typeof(preferences) = 'object'),
        constraint users_email_format check (email is null or (length(email) <= 254 and email ~ '^[^@\\s]+@[^@\\s]+$'))
      )
    `)
  }

  async down() {
    this.schema.raw('drop table if exists users')
    this.schema.raw('drop function if exists uuid_generate_v7()')
  }
}
