import Big from 'big.js'
import type { Asset } from './types.js'

/**
 * Exact decimal health-factor math (Aave v3 definition):
 *
 *   HF = Σ collateral.valueUsd × liquidationThreshold / Σ debt.valueUsd
 *
 * - No debt → null ("infinite": nothing can be liquidated).
 * - An asset without liquidationThreshold counts as 0: it is not usable as
 *   collateral (Aave's LT of 0), so it never props up the health factor.
 * - Compound v3 snapshots carry the liquidate-collateral factor in the same field.
 * - Division runs at 40 decimal places; results are rounded DOWN to 18
 *   places, so a printed health factor never overstates safety.
 */
const INTERNAL_DP = 40
export const OUTPUT_DP = 18

function big(value: string | number | Big): Big {
  return value instanceof Big ? value : new Big(value)
}

/**
 * a / b at 40 decimal places, rounded down (big.js rounds half up by default:
 * a quotient just under 1 became 1, not liquidatable, while it printed as
 * 0.999…), without touching big.js's global settings for anyone else.
 */
export function divide(a: Big, b: Big): Big {
  const saved = { dp: Big.DP, rm: Big.RM }
  Big.DP = INTERNAL_DP
  Big.RM = Big.roundDown
  try {
    return a.div(b)
  } finally {
    Big.DP = saved.dp
    Big.RM = saved.rm
  }
}

/** A decimal string without exponent or trailing zeros ("2.0625", "0", "1234.5"). */
export function toDecimalString(value: Big, dp = OUTPUT_DP): string {
  const fixed = value.round(dp, Big.roundDown).toFixed(dp)
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed
}

export function totalValueUsd(assets: Asset[]): Big {
  return assets.reduce((sum, a) => sum.plus(a.valueUsd), new Big(0))
}

/** Σ value × LT: the debt the collateral can carry before liquidation. */
export function borrowCapacityUsd(collateral: Asset[]): Big {
  return collateral.reduce(
    (sum, a) => sum.plus(big(a.valueUsd).times(a.liquidationThreshold ?? '0')),
    new Big(0)
  )
}

/** The exact health factor as a Big, or null without debt. */
export function healthFactorOf(collateral: Asset[], debt: Asset[]): Big | null {
  const debtUsd = totalValueUsd(debt)
  if (debtUsd.eq(0)) return null
  return divide(borrowCapacityUsd(collateral), debtUsd)
}

/**
 * The health factor as stored and printed: the exact quotient cut (not rounded)
 * to 18 places. Dividing straight to 18 places rounding down is both exact and
 * half the work of dividing to 40 and cutting (ingest computes one per snapshot).
 */
export function computeHealthFactor(collateral: Asset[], debt: Asset[]): string | null {
  const debtUsd = totalValueUsd(debt)
  if (debtUsd.eq(0)) return null
  const capacity = borrowCapacityUsd(collateral)
  const saved = { dp: Big.DP, rm: Big.RM }
  Big.DP = OUTPUT_DP
  Big.RM = Big.roundDown
  try {
    // big.js keeps no trailing zeros, so toFixed() prints the plain decimal as is
    return capacity.div(debtUsd).toFixed()
  } finally {
    Big.DP = saved.dp
    Big.RM = saved.rm
  }
}

/**
 * How far (in %) the collateral's value can fall before HF reaches 1:
 * (1 − 1/HF) × 100. Negative when already liquidatable; null without debt.
 */
export function bufferToLiquidationPct(healthFactor: string | Big | null): string | null {
  if (healthFactor === null) return null
  const hf = big(healthFactor)
  if (hf.eq(0)) return '-100'
  return toDecimalString(new Big(1).minus(divide(new Big(1), hf)).times(100), 2)
}

export function isLiquidatable(healthFactor: string | Big | null): boolean {
  return healthFactor !== null && big(healthFactor).lt(1)
}

/** True when the two differ by more than `tolerance` (relative; 0.001 = 0.1 %). */
export function healthFactorsDiffer(a: string, b: string, tolerance = '0.001'): boolean {
  const x = big(a)
  const y = big(b)
  if (x.eq(y)) return false
  const base = x.abs().gt(y.abs()) ? x.abs() : y.abs()
  return divide(x.minus(y).abs(), base).gt(tolerance)
}
