// Placeholder until feat/hf-math lands (same exported signatures).
import Big from 'big.js'
import type { Asset } from './types.js'

export function computeHealthFactor(collateral: Asset[], debt: Asset[]): string | null {
  const debtUsd = debt.reduce((sum, a) => sum.plus(a.valueUsd), new Big(0))
  if (debtUsd.eq(0)) return null
  const capacity = collateral.reduce(
    (sum, a) => sum.plus(new Big(a.valueUsd).times(a.liquidationThreshold ?? '0')),
    new Big(0)
  )
  return capacity
    .div(debtUsd)
    .toFixed(18)
    .replace(/\.?0+$/, '')
}

export function healthFactorsDiffer(a: string, b: string, tolerance = '0.001'): boolean {
  const x = new Big(a)
  const y = new Big(b)
  if (x.eq(y)) return false
  const base = x.abs().gt(y.abs()) ? x.abs() : y.abs()
  return x.minus(y).abs().div(base).gt(tolerance)
}
