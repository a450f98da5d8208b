import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The same format rules, checked without counted repetition (`{40}`,
 * `{0,63}`): PostgreSQL's regex engine unrolls a bound into that many states,
 * and `^0x[0-9a-f]{40}$` cost 3 µs a row against 0.5 µs for a plain `+` and a
 * length test — on every snapshot, alert and event written (bench/RESULTS.md).
 * Each constraint keeps its name. Added NOT VALID, then validated: the scan
 * of existing rows takes a lock that lets writes go on.
 */
const CHECKS: { table: string; name: string; old: string; new: string }[] = [
  {
    table: 'users',
    name: 'users_wallet_address_format',
    old: `wallet_address ~ '^0x[0-9a-f]{40}$'`,
    new: `length(wallet_address) = 42 and wallet_address ~ '^0x[0-9a-f]+$'`,
  },
  {
    table: 'positions',
    name: 'positions_wallet_address_format',
    old: `wallet_address ~ '^0x[0-9a-f]{40}$'`,
    new: `length(wallet_address) = 42 and wallet_address ~ '^0x[0-9a-f]+$'`,
  },
  {
    table: 'positions',
    name: 'positions_protocol_format',
    old: `protocol ~ '^[a-z][a-z0-9_]{0,63}$'`,
    new: `length(protocol) <= 64 and protocol ~ '^[a-z][a-z0-9_]*$'`,
  },
  {
    table: 'signals',
    name: 'signals_type_format',
    old: `type ~ '^[a-z][a-z0-9_]{0,63}$'`,
    new: `length(type) <= 64 and type ~ '^[a-z][a-z0-9_]*$'`,
  },
  {
    table: 'alerts',
    name: 'alerts_type_format',
    old: `type ~ '^[a-z][a-z0-9_]{0,63}$'`,
    new: `length(type) <= 64 and type ~ '^[a-z][a-z0-9_]*$'`,
  },
  {
    table: 'intents',
    name: 'intents_protocol_format',
    old: `protocol ~ '^[a-z][a-z0-9_]{0,63}$'`,
    new: `length(protocol) <= 64 and protocol ~ '^[a-z][a-z0-9_]*$'`,
  },
  {
    table: 'event_store',
    name: 'event_store_aggregate_type_format',
    old: `aggregate_type ~ '^[a-z][a-z0-9_]{0,63}$'`,
    new: `length(aggregate_type) <= 64 and aggregate_type ~ '^[a-z][a-z0-9_]*$'`,
  },
  {
    table: 'api_clients',
    name: 'api_clients_name_format',
    old: `name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'`,
    new: `length(name) <= 64 and name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]*$'`,
  },
  {
    table: 'siwe_nonces',
    name: 'siwe_nonces_format',
    old: `nonce ~ '^[A-Za-z0-9]{16,64}$'`,
    new: `length(nonce) between 16 and 64 and nonce ~ '^[A-Za-z0-9]+$'`,
  },
  {
    table: 'telegram_link_codes',
    name: 'telegram_link_codes_code_format',
    old: `code ~ '^[A-Za-z0-9_-]{16,64}$'`,
    new: `length(code) between 16 and 64 and code ~ '^[A-Za-z0-9_-]+$'`,
  },
]

export default class extends BaseSchema {
  async up() {
    for (const check of CHECKS) this.replace(check, check.new)
  }

  async down() {
    for (const check of CHECKS) this.replace(check, check.old)
  }

  private replace(check: { table: string; name: string }, expression: string) {
    this.schema.raw(
      `alter table ${check.table} drop constraint ${check.name}, add constraint ${check.name} check (${expression}) not valid`
    )
    this.schema.raw(`alter table ${check.table} validate constraint ${check.name}`)
  }
}
