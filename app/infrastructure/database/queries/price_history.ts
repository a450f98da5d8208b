import type { QueryClientContract, TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { Asset } from '#domain/positions/types'

const HOUR_MS = 3_600_000

/** What price_history needs of a stored snapshot. */
export interface PricedSnapshot {
  chainId: number
  /** ISO instant */
  snapshotAt: string
  collateral: Asset[]
  debt: Asset[]
}

/**
 * Feeds price_history from snapshots just stored, in ONE statement. The
 * batch is reduced here first to one observation per (chain, asset, hour) —
 * the earliest — so a batch of 1,000 snapshots of the same hour sends a
 * handful of rows, not thousands of asset lines for PostgreSQL to sort.
 * An asset's price is its `priceUsd`, else valueUsd / amount (divided
 * exactly in SQL); none, zero or negative is no observation. Rows are
 * written in key order so two ingests waiting on each other's first write
 * of an hour cannot wait in a cycle.
 */
export async function recordPricesOfSnapshots(
  trx: TransactionClientContract,
  snapshots: PricedSnapshot[]
): Promise<void> {
  const earliest = new Map<string, { at: number; row: (string | number | null)[] }>()
  for (const snapshot of snapshots) {
    const at = Date.parse(snapshot.snapshotAt)
    const hour = new Date(Math.floor(at / HOUR_MS) * HOUR_MS).toISOString()
    for (const asset of [...snapshot.collateral, ...snapshot.debt]) {
      const priced = asset.priceUsd !== undefined
      // a filter only: the stored figure is the decimal string itself
      if (priced ? !(Number(asset.priceUsd) > 0) : !(Number(asset.amount) > 0)) continue
      const key = asset.address ? asset.address.toLowerCase() : asset.symbol.toUpperCase()
      const id = `${snapshot.chainId}|${key}|${hour}`
      const seen = earliest.get(id)
      if (seen && seen.at <= at) continue
      earliest.set(id, {
        at,
        row: [
          snapshot.chainId,
          key,
          asset.symbol.toUpperCase(),
          hour,
          priced ? asset.priceUsd! : null,
          asset.valueUsd,
          asset.amount,
          snapshot.snapshotAt,
        ],
      })
    }
  }
  if (earliest.size === 0) return
  const columns: (string | number | null)[][] = Array.from({ length: 8 }, () => [])
  for (const { row } of earliest.values()) row.forEach((value, i) => columns[i].push(value))
  await trx.rawQuery(
    `
    insert into price_history (chain_id, asset_key, symbol, hour, price_usd, observed_at, source)
    select chain_id, asset_key, symbol, hour,
           coalesce(price_usd, value_usd / nullif(amount, 0)), observed_at, 'snapshot'
    from unnest(?::int[], ?::text[], ?::text[], ?::timestamptz[], ?::numeric[], ?::numeric[],
                ?::numeric[], ?::timestamptz[])
         as o(chain_id, asset_key, symbol, hour, price_usd, value_usd, amount, observed_at)
    where coalesce(price_usd, value_usd / nullif(amount, 0)) > 0
    order by chain_id, asset_key, hour
    on conflict (chain_id, asset_key, hour) do nothing
    `,
    columns as string[][]
  )
}

export interface HourlyPriceRow {
  chain_id: number
  asset_key: string
  hour: Date
  price_usd: string
}

/**
 * The hourly prices of the given (chain, asset) pairs within [from, to], in
 * one statement for every chain a page of positions spans (primary-key range
 * scans, one per pair).
 */
export async function hourlyPrices(
  client: QueryClientContract,
  assets: { chainId: number; key: string }[],
  from: Date,
  to: Date
): Promise<HourlyPriceRow[]> {
  if (assets.length === 0) return []
  const { rows } = await client.rawQuery(
    `
    select h.chain_id, h.asset_key, h.hour, h.price_usd::text as price_usd
    from unnest(?::int[], ?::text[]) as wanted(chain_id, asset_key)
    join price_history h on h.chain_id = wanted.chain_id and h.asset_key = wanted.asset_key
    where h.hour >= ? and h.hour <= ?
    order by h.chain_id, h.asset_key, h.hour
    `,
    [assets.map((a) => a.chainId), assets.map((a) => a.key), from.toISOString(), to.toISOString()]
  )
  return rows
}
