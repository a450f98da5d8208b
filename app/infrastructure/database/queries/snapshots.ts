import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { Asset } from '#domain/positions/types'
import { DomainError } from '#domain/shared/errors'
import type { PositionRow } from '#infrastructure/database/queries/latest_positions'

export interface SnapshotRow {
  userId: string
  walletAddress: string
  protocol: string
  chainId: number
  healthFactor: string | null
  collateral: Asset[]
  debt: Asset[]
  metadata: Record<string, unknown>
  /** ISO instant, UTC */
  snapshotAt: string
}

export interface StoredSnapshotKey {
  ord: number
  id: string
  created: boolean
  /** The stored row, when asked for (a single ingest answers with it: no read after commit). */
  row?: PositionRow
}

/**
 * Inserts many snapshots in ONE statement (jsonb_to_recordset: one parameter,
 * no per-row round trips). A snapshot whose (user, wallet, protocol, chain, instant)
 * already exists is skipped by the unique constraint and reported with the
 * id of the row that was there first, so a retried ingest is idempotent.
 */
export async function insertSnapshots(
  trx: TransactionClientContract,
  rows: SnapshotRow[],
  { returnRows = false }: { returnRows?: boolean } = {}
): Promise<StoredSnapshotKey[]> {
  const payload = JSON.stringify(
    rows.map((r, ord) => ({
      ord,
      user_id: r.userId,
      wallet_address: r.walletAddress,
      protocol: r.protocol,
      chain_id: r.chainId,
      health_factor: r.healthFactor,
      collateral: r.collateral,
      debt: r.debt,
      metadata: r.metadata,
      snapshot_at: r.snapshotAt,
    }))
  )
  const { rows: inserted } = await trx.rawQuery(
    `
    with input as (
      select * from jsonb_to_recordset(?::jsonb) as x(
        ord int, user_id uuid, wallet_address text, protocol text, chain_id int,
        health_factor numeric, collateral jsonb, debt jsonb, metadata jsonb, snapshot_at timestamptz)
    ),
    inserted as (
      insert into positions (user_id, wallet_address, protocol, chain_id, health_factor, collateral, debt, metadata, snapshot_at)
      select user_id, wallet_address, protocol, chain_id, health_factor, collateral, debt, metadata, snapshot_at
      from input order by ord
      on conflict (user_id, wallet_address, protocol, chain_id, snapshot_at) do nothing
      returning ${returnRows ? '*' : 'id, user_id, wallet_address, protocol, chain_id, snapshot_at'}
    )
    select i.ord, ${returnRows ? 'n.*' : 'n.id'}
    from input i
    join inserted n
      on n.user_id = i.user_id and n.wallet_address = i.wallet_address and n.protocol = i.protocol
     and n.chain_id = i.chain_id and n.snapshot_at = i.snapshot_at
    `,
    [payload]
  )
  const keyOf = ({ ord, ...row }: { ord: number } & PositionRow, created: boolean) => ({
    ord,
    id: row.id,
    created,
    ...(returnRows ? { row } : {}),
  })
  let result: StoredSnapshotKey[] = inserted.map((r: { ord: number } & PositionRow) =>
    keyOf(r, true)
  )
  // Only a retry (or a repeat inside the batch) needs the ids of rows that were there before.
  if (inserted.length < rows.length) {
    const done = new Set(inserted.map((i: { ord: number }) => i.ord))
    const missing = rows.map((r, ord) => ({ r, ord })).filter(({ ord }) => !done.has(ord))
    const { rows: existing } = await trx.rawQuery(
      `select x.ord, ${returnRows ? 'p.*' : 'p.id'}
       from jsonb_to_recordset(?::jsonb) as x(ord int, user_id uuid, wallet_address text, protocol text, chain_id int, snapshot_at timestamptz)
       join positions p on p.user_id = x.user_id and p.wallet_address = x.wallet_address and p.protocol = x.protocol
        and p.chain_id = x.chain_id and p.snapshot_at = x.snapshot_at`,
      [
        JSON.stringify(
          missing.map(({ r, ord }) => ({
            ord,
            user_id: r.userId,
            wallet_address: r.walletAddress,
            protocol: r.protocol,
            chain_id: r.chainId,
            snapshot_at: r.snapshotAt,
          }))
        ),
      ]
    )
    result = [...result, ...existing.map((r: { ord: number } & PositionRow) => keyOf(r, false))]
  }
  result.sort((a, b) => a.ord - b.ord)
  // The same snapshot twice in one batch: the first occurrence is "created",
  // later ones are duplicates of it.
  const seen = new Set<string>()
  return result.map((r) => {
    const created = r.created && !seen.has(r.id)
    seen.add(r.id)
    return { ...r, created }
  })
}

/**
 * Raised when another transaction created one of the wallets' users while
 * this one was creating it: locking that row now would take it out of id
 * order, so the caller starts its transaction over (the row exists by then).
 * A conflict (409) if it keeps happening.
 */
export class OwnersChangedError extends DomainError {
  constructor() {
    super('E_CONFLICT', 'Another ingest was creating the same users; retry')
  }
}

/** A user holding a wallet: its owner (proven) or a watcher. */
export interface WalletHolder {
  userId: string
  kind: 'proven' | 'watched'
  /** The user's sign-in wallet: its positions keep the streams they had before ADR 0014. */
  signInWallet: string
}

/**
 * Finds everyone holding these wallets — the user who proved each and the
 * users watching it (docs/adr/0014) — and locks their user rows, in id order
 * (the order every ingest locks users in, so two ingests queue instead of
 * deadlocking). A wallet nobody holds gets a user of its own, as a wallet
 * that has not signed in yet — unless `createMissing` is false: then it has
 * no holders (chain sync, whose wallet may leave every list mid-round).
 * Returns wallet -> holders (the owner first) and the wallets whose users
 * were created.
 */
export async function lockHoldersOfWallets(
  trx: TransactionClientContract,
  wallets: string[],
  { createMissing = true }: { createMissing?: boolean } = {}
): Promise<{ holders: Map<string, WalletHolder[]>; created: Set<string> }> {
  const unique = [...new Set(wallets)]
  const { rows } = await trx.rawQuery(
    // One index probe per wallet (the lateral, kept from being flattened by
    // `offset 0`): given `address = any(<1,000 addresses>)` the planner expected
    // ~1.4 rows each and read all of user_wallets instead (14 ms against 3 ms a
    // 1,000-snapshot batch, bench/RESULTS.md).
    `select w.address, w.user_id, w.kind, u.wallet_address as sign_in_wallet
       from unnest(?::text[]) a (address)
       cross join lateral (
         select x.address, x.user_id, x.kind from user_wallets x where x.address = a.address offset 0
       ) w
       join users u on u.id = w.user_id
      order by u.id
      for update of u`,
    [unique]
  )
  const holders = new Map<string, WalletHolder[]>()
  for (const r of rows as {
    address: string
    user_id: string
    kind: 'proven' | 'watched'
    sign_in_wallet: string
  }[]) {
    const list = holders.get(r.address) ?? []
    const holder = { userId: r.user_id, kind: r.kind, signInWallet: r.sign_in_wallet }
    if (r.kind === 'proven') list.unshift(holder)
    else list.push(holder)
    holders.set(r.address, list)
  }
  const created = new Set<string>()
  const missing = unique.filter((w) => !holders.has(w))
  if (missing.length === 0 || !createMissing) return { holders, created }
  // New rows are this transaction's alone until it commits: no lock needed.
  // Their sign-in wallet becomes their proven wallet (a trigger, 16_create_user_wallets_table).
  const { rows: inserted } = await trx.rawQuery(
    `insert into users (wallet_address)
     select a from unnest(?::text[]) a
      where not exists (select 1 from user_wallets w where w.address = a)
      order by 1
     on conflict (wallet_address) do nothing returning id, wallet_address`,
    [missing]
  )
  for (const r of inserted as { id: string; wallet_address: string }[]) {
    holders.set(r.wallet_address, [
      { userId: r.id, kind: 'proven', signInWallet: r.wallet_address },
    ])
    created.add(r.wallet_address)
  }
  if (holders.size < unique.length) throw new OwnersChangedError()
  return { holders, created }
}
