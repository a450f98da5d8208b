import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * user_wallets: the wallets on a user's list (docs/adr/0014).
 * - `proven`: the user showed they control it — the wallet they signed in with
 *   (`proof = 'sign_in'`), a SIWE signature (`siwe`) or EIP-1271 (`eip1271`).
 *   A proven wallet belongs to one user (partial unique index).
 * - `watched`: any address, no proof, read-only; many users may watch one.
 *
 * Every position-keyed table gains the wallet: a user's (protocol, chain)
 * may now be held by several of their wallets. This is the first migration
 * that moves existing data instead of being folded into its table's file
 * (ADR 0009): before it, every user had exactly one wallet, the one in
 * users.wallet_address, and every row keyed by user was that wallet's.
 *
 * Users get their sign-in wallet as a proven one by a statement-level trigger,
 * whoever creates them (sign-in, an ingest for an unknown wallet, seeders,
 * the benchmarks' bulk loads).
 */
// Rule states and snoozes: keyed by position, so by wallet too.
const WALLET_KEYED = [
  'health_factor_alert_state',
  'liquidation_probability_alert_state',
  'position_snoozes',
] as const

export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create table user_wallets (
        id uuid primary key default uuid_generate_v7(),
        user_id uuid not null references users (id) on delete cascade,
        address text not null,
        kind text not null,
        proof text,
        label text,
        preferences jsonb not null default '{}'::jsonb,
        telegram_chat_id bigint,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        constraint user_wallets_user_address_unique unique (user_id, address),
        constraint user_wallets_address_format check (length(address) = 42 and address ~ '^0x[0-9a-f]+$'),
        constraint user_wallets_kind_check check (kind in ('proven', 'watched')),
        constraint user_wallets_proof_check check (
          (kind = 'proven' and proof in ('sign_in', 'siwe', 'eip1271')) or (kind = 'watched' and proof is null)),
        constraint user_wallets_label_length check (label is null or length(label) between 1 and 64),
        constraint user_wallets_preferences_object check (jsonb_typeof(preferences) = 'object')
      )
    `)
    // A proven wallet belongs to one user; a watched one may be on many lists.
    this.schema.raw(
      `create unique index user_wallets_proven_address_unique on user_wallets (address) where kind = 'proven'`
    )
    // Ingest and chain sync go from an address to everyone holding it.
    this.schema.raw('create index user_wallets_address_index on user_wallets (address, user_id)')

    // The data moved: every user's sign-in wallet becomes their first proven wallet.
    this.schema.raw(`
      insert into user_wallets (user_id, address, kind, proof, created_at, updated_at)
      select id, wallet_address, 'proven', 'sign_in', created_at, created_at from users
    `)
    this.schema.raw(`
      create or replace function users_add_sign_in_wallet() returns trigger language plpgsql as $$
      begin
        insert into user_wallets (user_id, address, kind, proof)
        select id, wallet_address, 'proven', 'sign_in' from new_rows;
        return null;
      end
      $$
    `)
    this.schema.raw(`
      create trigger users_add_sign_in_wallet after insert on users
      referencing new table as new_rows
      for each statement execute function users_add_sign_in_wallet()
    `)

    // A Telegram link code may link a group chat to one wallet's alerts.
    this.schema.raw(
      'alter table telegram_link_codes add column wallet_id uuid references user_wallets (id) on delete cascade'
    )

    // positions: the same (user, protocol, chain, instant) may now be two wallets' snapshots.
    this.schema.raw(`
      alter table positions
        drop constraint positions_user_protocol_chain_snapshot_unique,
        add constraint positions_user_wallet_protocol_chain_snapshot_unique
          unique (user_id, wallet_address, protocol, chain_id, snapshot_at)
    `)

    // position_heads: the newest snapshot per (user, wallet, protocol, chain).
    this.schema.raw('alter table position_heads add column wallet_address text')
    this.schema.raw(`
      update position_heads h set wallet_address = p.wallet_address
        from positions p where p.id = h.snapshot_id
    `)
    this.schema.raw(`
      alter table position_heads
        alter column wallet_address set not null,
        drop constraint position_heads_pkey,
        add primary key (user_id, wallet_address, protocol, chain_id)
    `)
    this.schema.raw(HEADS_TRIGGER_FUNCTION)

    // user_held_symbols: the union of the symbols a user's heads hold, over all their
    // wallets. Signal fan-out looks users up here (one row per user) instead of in
    // position_heads (one row per wallet, protocol and chain): with 20 wallets a user
    // has ~30 heads, and a signal on an asset they all hold read 28× the rows
    // (bench/RESULTS.md). Kept by statement triggers on position_heads, recomputed
    // only for users whose heads' symbols changed.
    this.schema.raw(`
      create table user_held_symbols (
        user_id uuid primary key references users (id) on delete cascade,
        symbols text[] not null
      )
    `)
    this.schema.raw(
      'create index user_held_symbols_symbols_index on user_held_symbols using gin (symbols)'
    )
    this.schema.raw(`
      create or replace function refresh_user_held_symbols(changed uuid[]) returns void
      language sql as $$
        delete from user_held_symbols x
         where x.user_id = any(changed)
           and not exists (select 1 from position_heads h
                            where h.user_id = x.user_id and cardinality(h.symbols) > 0);
        insert into user_held_symbols (user_id, symbols)
        select h.user_id, array_agg(distinct s order by s)
          from position_heads h cross join lateral unnest(h.symbols) s
         where h.user_id = any(changed)
         group by h.user_id
        on conflict (user_id) do update set symbols = excluded.symbols
         where user_held_symbols.symbols is distinct from excluded.symbols;
      $$
    `)
    this.schema.raw(`
      create or replace function position_heads_refresh_held() returns trigger language plpgsql as $$
      declare changed uuid[];
      begin
        if tg_op = 'INSERT' then
          select array_agg(distinct n.user_id) into changed from new_rows n;
        elsif tg_op = 'DELETE' then
          select array_agg(distinct o.user_id) into changed from old_rows o;
        else
          select array_agg(distinct n.user_id) into changed
            from new_rows n join old_rows o
              on o.user_id = n.user_id and o.wallet_address = n.wallet_address
             and o.protocol = n.protocol and o.chain_id = n.chain_id
           where o.symbols is distinct from n.symbols;
        end if;
        if changed is not null then
          perform refresh_user_held_symbols(changed);
        end if;
        return null;
      end
      $$
    `)
    // A transition table serves one event per trigger.
    this.schema.raw(`
      create trigger position_heads_held_after_insert after insert on position_heads
      referencing new table as new_rows
      for each statement execute function position_heads_refresh_held()
    `)
    this.schema.raw(`
      create trigger position_heads_held_after_update after update on position_heads
      referencing old table as old_rows new table as new_rows
      for each statement execute function position_heads_refresh_held()
    `)
    this.schema.raw(`
      create trigger position_heads_held_after_delete after delete on position_heads
      referencing old table as old_rows
      for each statement execute function position_heads_refresh_held()
    `)
    this.schema.raw(`
      insert into user_held_symbols (user_id, symbols)
      select h.user_id, array_agg(distinct s order by s)
        from position_heads h cross join lateral unnest(h.symbols) s
       group by h.user_id
    `)

    for (const table of WALLET_KEYED) {
      this.schema.raw(`alter table ${table} add column wallet_address text`)
      this.schema.raw(
        `update ${table} t set wallet_address = u.wallet_address from users u where u.id = t.user_id`
      )
      this.schema.raw(`
        alter table ${table}
          alter column wallet_address set not null,
          drop constraint ${table}_pkey,
          add primary key (user_id, wallet_address, protocol, chain_id)
      `)
    }

    // intents act for one wallet, which must be proven (checked by the service).
    this.schema.raw('alter table intents add column wallet_address text')
    this.schema.raw(
      'update intents i set wallet_address = u.wallet_address from users u where u.id = i.user_id'
    )
    this.schema.raw('alter table intents alter column wallet_address set not null')
    this.schema.raw('drop index intents_active_position_index')
    this.schema.raw(
      `create index intents_active_position_index on intents (user_id, wallet_address, protocol, chain_id)
       where status = 'active' and deleted_at is null`
    )

    // A row that names no wallet is about the user's sign-in wallet: what every
    // writer meant before this migration (scripts, bulk loads, older code).
    this.schema.raw(`
      create or replace function default_wallet_to_sign_in() returns trigger language plpgsql as $$
      begin
        if new.wallet_address is null then
          select wallet_address into new.wallet_address from users where id = new.user_id;
        end if;
        return new;
      end
      $$
    `)
    for (const table of [...WALLET_KEYED, 'intents']) {
      this.schema.raw(`
        create trigger ${table}_default_wallet before insert on ${table}
        for each row when (new.wallet_address is null) execute function default_wallet_to_sign_in()
      `)
    }

    // alerts about a position name its wallet (null: signals, digests, chain status).
    this.schema.raw('alter table alerts add column wallet_address text')
    this.schema.raw(`
      create trigger alerts_default_wallet before insert on alerts
      for each row when (new.wallet_address is null and new.metadata->>'snapshotId' is not null)
      execute function default_wallet_to_sign_in()
    `)
    this.schema.raw(`
      update alerts a set wallet_address = u.wallet_address
        from users u where u.id = a.user_id and (a.metadata ->> 'snapshotId') is not null
    `)
    this.schema.raw(
      'create index alerts_user_id_wallet_address_index on alerts (user_id, wallet_address) where wallet_address is not null'
    )
  }

  async down() {
    // Before this migration a user had one wallet: what other wallets held is dropped.
    this.schema.raw('drop trigger if exists alerts_default_wallet on alerts')
    this.schema.raw('drop index if exists alerts_user_id_wallet_address_index')
    this.schema.raw('alter table alerts drop column if exists wallet_address')

    this.schema.raw(
      'delete from intents i using users u where u.id = i.user_id and i.wallet_address <> u.wallet_address'
    )
    for (const table of [...WALLET_KEYED, 'intents']) {
      this.schema.raw(`drop trigger if exists ${table}_default_wallet on ${table}`)
    }
    this.schema.raw('drop function if exists default_wallet_to_sign_in()')
    this.schema.raw('drop index intents_active_position_index')
    this.schema.raw('alter table intents drop column wallet_address')
    this.schema.raw(
      `create index intents_active_position_index on intents (user_id, protocol, chain_id)
       where status = 'active' and deleted_at is null`
    )

    for (const table of WALLET_KEYED) {
      this.schema.raw(
        `delete from ${table} t using users u where u.id = t.user_id and t.wallet_address <> u.wallet_address`
      )
      this.schema.raw(`
        alter table ${table}
          drop constraint ${table}_pkey,
          drop column wallet_address,
          add primary key (user_id, protocol, chain_id)
      `)
    }

    for (const event of ['insert', 'update', 'delete']) {
      this.schema.raw(`drop trigger if exists position_heads_held_after_${event} on position_heads`)
    }
    this.schema.raw('drop function if exists position_heads_refresh_held()')
    this.schema.raw('drop function if exists refresh_user_held_symbols(uuid[])')
    this.schema.raw('drop table if exists user_held_symbols')
    this.schema.raw(
      'delete from position_heads h using users u where u.id = h.user_id and h.wallet_address <> u.wallet_address'
    )
    this.schema.raw(`
      alter table position_heads
        drop constraint position_heads_pkey,
        drop column wallet_address,
        add primary key (user_id, protocol, chain_id)
    `)
    this.schema.raw(HEADS_TRIGGER_FUNCTION_BEFORE)

    this.schema.raw(
      'delete from positions p using users u where u.id = p.user_id and p.wallet_address <> u.wallet_address'
    )
    this.schema.raw(`
      alter table positions
        drop constraint positions_user_wallet_protocol_chain_snapshot_unique,
        add constraint positions_user_protocol_chain_snapshot_unique
          unique (user_id, protocol, chain_id, snapshot_at)
    `)

    this.schema.raw('alter table telegram_link_codes drop column if exists wallet_id')
    this.schema.raw('drop trigger if exists users_add_sign_in_wallet on users')
    this.schema.raw('drop function if exists users_add_sign_in_wallet()')
    this.schema.raw('drop table if exists user_wallets')
  }
}

const HEADS_TRIGGER_FUNCTION = `
  create or replace function position_heads_after_insert() returns trigger language plpgsql as $$
  begin
    insert into position_heads as h (user_id, wallet_address, protocol, chain_id, snapshot_id, snapshot_at, symbols)
    select distinct on (n.user_id, n.wallet_address, n.protocol, n.chain_id)
           n.user_id, n.wallet_address, n.protocol, n.chain_id, n.id, n.snapshot_at,
           array(select distinct upper(a->>'symbol')
                 from jsonb_array_elements(n.collateral || n.debt) a
                 where a->>'symbol' is not null)
    from new_rows n
    order by n.user_id, n.wallet_address, n.protocol, n.chain_id, n.snapshot_at desc
    on conflict (user_id, wallet_address, protocol, chain_id) do update
      set snapshot_id = excluded.snapshot_id, snapshot_at = excluded.snapshot_at,
          symbols = excluded.symbols
      where excluded.snapshot_at > h.snapshot_at;
    return null;
  end
  $$`

// 10_create_position_heads_table.ts's function, for down(): the same text to the byte (the
// catalog after a rollback is compared with the one before, function digests included).
const HEADS_TRIGGER_FUNCTION_BEFORE = `
      create or replace function position_heads_after_insert() returns trigger language plpgsql as $$
      begin
        insert into position_heads as h (user_id, protocol, chain_id, snapshot_id, snapshot_at, symbols)
        select distinct on (n.user_id, n.protocol, n.chain_id)
               n.user_id, n.protocol, n.chain_id, n.id, n.snapshot_at,
               array(select distinct upper(a->>'symbol')
                     from jsonb_array_elements(n.collateral || n.debt) a
                     where a->>'symbol' is not null)
        from new_rows n
        order by n.user_id, n.protocol, n.chain_id, n.snapshot_at desc
        on conflict (user_id, protocol, chain_id) do update
          set snapshot_id = excluded.snapshot_id, snapshot_at = excluded.snapshot_at,
              symbols = excluded.symbols
          where excluded.snapshot_at > h.snapshot_at;
        return null;
      end
      $$`
