import Big from 'big.js'
import type { Asset } from './types.js'

/**
 * The schema document (shared/SEED-SCHEMA.md) writes snapshots as
 * `{ symbol: 'ETH', amount: '1.5', valueUSD: '3000' }` with `healthFactor: 2.5`;
 * everything that reads a snapshot (health-factor math, the API, fan-out)
 * expects `valueUsd` and decimal strings. A row written the documented way must
 * read back like any other, so the model brings it to the one stored shape:
 * `valueUSD`/`priceUSD` become `valueUsd`/`priceUsd` (the canonical spelling
 * wins when both are given) and numbers become decimal strings.
 */
export function toStoredAssets(assets: readonly unknown[]): Asset[] {
  return assets.map((raw) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw as Asset
    const { valueUSD, priceUSD, ...rest } = raw as Record<string, unknown>
    const asset: Record<string, unknown> = { ...rest }
    if (asset.valueUsd === undefined && valueUSD !== undefined) asset.valueUsd = valueUSD
    if (asset.priceUsd === undefined && priceUSD !== undefined) asset.priceUsd = priceUSD
    for (const key of ['amount', 'valueUsd', 'priceUsd', 'liquidationThreshold']) {
      if (typeof asset[key] === 'number') asset[key] = toDecimal(asset[key] as number)
    }
    return asset as unknown as Asset
  })
}

/** A finite number as a plain decimal string (no exponent: 1e-7 is "0.0000001"). */
export function toDecimal(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`)
  return new Big(value).toFixed()
}
