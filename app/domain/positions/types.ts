/** One asset line of a snapshot. Amounts and USD figures are decimal strings. */
export interface Asset {
  symbol: string
  amount: string
  valueUsd: string
  priceUsd?: string
  address?: string
  /** 0..1; Compound v3 snapshots carry the liquidate-collateral factor here. */
  liquidationThreshold?: string
}
