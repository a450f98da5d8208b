import Big from 'big.js'
import type { Asset } from './types.js'

/**
 * Exact health-factor math. The definition is
 *
 *   HF = Σ collateral.valueUsd × liquidationThreshold / Σ debt.valueUsd
 *
 * and each protocol evaluates it its own way (see `healthFactorMathOf`):
 * - Aave v3 (`aave_v3`) in the Pool's integer arithmetic: values in base
 *   currency units, the weighted-average threshold cut to whole basis points,
 *   then percentMul and wadDiv — the figure the Pool liquidates on and
 *   `@aave/math-utils` shows, not the plain weighted sum (they differ).
 * - Compound v3 and the rest: the plain weighted sum, with the liquidate-collateral
 *   factor in the threshold field for Compound v3.
 *
 * - No debt → null ("infinite": nothing can be liquidated).
 * - An asset without liquidationThreshold counts as 0: it is not usable as
 *   collateral (Aave's LT of 0), so it never props up the health factor.
 * - Division runs at 40 decimal places; results are rounded DOWN to 18
 *   places, so a printed health factor never overstates safety (Aave v3's
 *   wad is exact at 18 places already).
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

/** Which arithmetic gives a protocol's health factor. */
export type HealthFactorMath = 'aave_v3' | 'weighted_sum'

export function healthFactorMathOf(protocol: string): HealthFactorMath {
  return protocol === 'aave_v3' ? 'aave_v3' : 'weighted_sum'
}

// Aave v3's units: the oracles' base currency is USD with 8 decimals,
// thresholds are basis points (PercentageMath), health factors are wads (WadRayMath).
const AAVE_BASE_CURRENCY_DECIMALS = 8
const PERCENTAGE_FACTOR = 10_000n
const HALF_PERCENTAGE_FACTOR = 5_000n
const WAD = 10n ** 18n
const WAD_DECIMALS = 18

/** A non-negative decimal as an integer count of 10^-decimals, cut as Solidity's division cuts. */
function toUnits(value: string | Big, decimals: number): bigint {
  return BigInt(big(value).times(new Big(10).pow(decimals)).round(0, Big.roundDown).toFixed())
}

/** PercentageMath.percentMul: value × bps / 10^4, half up. */
export function percentMul(value: bigint, percentage: bigint): bigint {
  return (value * percentage + HALF_PERCENTAGE_FACTOR) / PERCENTAGE_FACTOR
}

/** WadRayMath.wadDiv: a / b as a wad, half up. */
export function wadDiv(a: bigint, b: bigint): bigint {
  return (a * WAD + b / 2n) / b
}

/**
 * Aave v3's health factor (as a wad) the way the Pool computes it in
 * GenericLogic.calculateUserAccountData: each asset's value cut to base
 * currency units (8 decimals); collateral with a zero threshold left out of the
 * total, as the Pool leaves it out; the weighted-average threshold cut to whole
 * basis points; then percentMul and wadDiv. Null without debt (the Pool's
 * type(uint256).max) — debt worth less than one base unit (10^-8 USD) included,
 * which the Pool does not see either.
 */
export function aaveV3HealthFactorWad(collateral: Asset[], debt: Asset[]): bigint | null {
  const debtBase = debt.reduce(
    (sum, a) => sum + toUnits(a.valueUsd, AAVE_BASE_CURRENCY_DECIMALS),
    0n
  )
  if (debtBase === 0n) return null
  let collateralBase = 0n
  let weighted = 0n
  for (const asset of collateral) {
    const bps = toUnits(asset.liquidationThreshold ?? '0', 4)
    if (bps === 0n) continue
    const value = toUnits(asset.valueUsd, AAVE_BASE_CURRENCY_DECIMALS)
    collateralBase += value
    weighted += value * bps
  }
  const averageBps = collateralBase === 0n ? 0n : weighted / collateralBase
  return wadDiv(percentMul(collateralBase, averageBps), debtBase)
}

function wadToBig(wad: bigint): Big {
  return new Big(wad.toString()).div(new Big(10).pow(WAD_DECIMALS))
}

/** The exact health factor as a Big, or null without debt. */
export function healthFactorOf(collateral: Asset[], debt: Asset[], protocol: string): Big | null {
  if (healthFactorMathOf(protocol) === 'aave_v3') {
    const wad = aaveV3HealthFactorWad(collateral, debt)
    return wad === null ? null : wadToBig(wad)
  }
  const debtUsd = totalValueUsd(debt)
  if (debtUsd.eq(0)) return null
  return divide(borrowCapacityUsd(collateral), debtUsd)
}

/**
 * The health factor as stored and printed. Aave v3's is the Pool's wad,
 * exact at 18 places. The weighted sum is the exact quotient cut (not rounded)
 * to 18 places: dividing straight to 18 places rounding down is both exact and
 * half the work of dividing to 40 and cutting (ingest computes one per snapshot).
 */
export function computeHealthFactor(
  collateral: Asset[],
  debt: Asset[],
  protocol: string
): string | null {
  if (healthFactorMathOf(protocol) === 'aave_v3') {
    const wad = aaveV3HealthFactorWad(collateral, debt)
    // big.js keeps no trailing zeros, so toFixed() prints the plain decimal as is
    return wad === null ? null : wadToBig(wad).toFixed()
  }
  const debtUsd = totalValueUsd(debt)
  if (debtUsd.eq(0)) return null
  const capacity = borrowCapacityUsd(collateral)
  const saved = { dp: Big.DP, rm: Big.RM }
  Big.DP = OUTPUT_DP
  Big.RM = Big.roundDown
  try {
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
