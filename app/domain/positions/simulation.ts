import Big from 'big.js'
import { DomainError } from '#domain/shared/errors'
import type { Asset } from './types.js'
import {
  borrowCapacityUsd,
  bufferToLiquidationPct,
  computeHealthFactor,
  divide,
  healthFactorOf,
  isLiquidatable,
  toDecimalString,
  totalValueUsd,
} from './health_factor.js'
import { simulationThresholds } from './thresholds.js'

export interface PositionAssets {
  collateral: Asset[]
  debt: Asset[]
}

/** A stored snapshot, as simulation needs it. */
export interface SimulatedPosition extends PositionAssets {
  protocol: string
  /** As stored: the indexer's figure when it sent one, else ours. */
  healthFactor: string | null
  metadata?: Record<string, unknown> | null
}

export interface LiquidationPrice {
  symbol: string
  currentPriceUsd: string | null
  /** The price at which HF reaches exactly 1, everything else fixed; null when no such price exists. */
  liquidationPriceUsd: string | null
  /** Relative move from the current price to the liquidation price, in %. */
  changePct: string | null
}

export interface SimulationResult {
  /** The snapshot's stored health factor. */
  currentHealthFactor: string | null
  simulatedHealthFactor: string | null
  liquidatable: boolean
  bufferToLiquidationPct: string | null
  collateralUsd: string
  debtUsd: string
  liquidationPrices: LiquidationPrice[]
}

function priceOf(asset: Asset): Big | null {
  if (asset.priceUsd !== undefined) return new Big(asset.priceUsd)
  const amount = new Big(asset.amount)
  if (amount.eq(0)) return null
  return divide(new Big(asset.valueUsd), amount)
}

/**
 * The liquidation price of each collateral asset: for asset i with amount a
 * and threshold LT, the price p where Σ_{j≠i} v_j·LT_j + a·p·LT = debt, i.e.
 * p = (debt − Σ_{j≠i} v_j·LT_j) / (a·LT). None when there is no debt, the
 * asset carries no weight (a or LT is 0), or p ≤ 0 (the other collateral
 * covers the debt on its own). For Aave v3 this is the weighted sum's price:
 * the Pool's average threshold, cut to whole basis points, can move it by less
 * than a basis point of the threshold (none with one collateral asset).
 */
export function liquidationPrices({ collateral, debt }: PositionAssets): LiquidationPrice[] {
  const debtUsd = totalValueUsd(debt)
  const capacity = borrowCapacityUsd(collateral)
  return collateral.map((asset) => {
    const current = priceOf(asset)
    const weight = new Big(asset.amount).times(asset.liquidationThreshold ?? '0')
    const none = {
      symbol: asset.symbol,
      currentPriceUsd: current ? toDecimalString(current) : null,
      liquidationPriceUsd: null,
      changePct: null,
    }
    if (debtUsd.eq(0) || weight.eq(0)) return none
    const others = capacity.minus(new Big(asset.valueUsd).times(asset.liquidationThreshold ?? '0'))
    const price = divide(debtUsd.minus(others), weight)
    if (price.lte(0)) return none
    return {
      ...none,
      liquidationPriceUsd: toDecimalString(price),
      changePct:
        current && current.gt(0)
          ? toDecimalString(divide(price, current).minus(1).times(100), 2)
          : null,
    }
  })
}

/** The biggest collateral asset by USD value, and where it would be liquidated (for alert messages). */
export function liquidationPriceOfLargestCollateral(
  position: PositionAssets
): LiquidationPrice | null {
  if (position.collateral.length === 0) return null
  let index = 0
  position.collateral.forEach((a, i) => {
    if (new Big(a.valueUsd).gt(position.collateral[index].valueUsd)) index = i
  })
  return liquidationPrices(position)[index]
}

function shock(assets: Asset[], changes: Map<string, Big>): Asset[] {
  return assets.map((a) => {
    const change = changes.get(a.symbol.toUpperCase())
    if (!change) return a
    const factor = new Big(1).plus(change)
    return {
      ...a,
      valueUsd: new Big(a.valueUsd).times(factor).toFixed(),
      ...(a.priceUsd !== undefined
        ? { priceUsd: new Big(a.priceUsd).times(factor).toFixed() }
        : {}),
    }
  })
}

/**
 * The position's assets after the changes (symbol, upper-cased → relative change),
 * collateral carrying the thresholds its health factor is computed with.
 */
export function simulatedAssets(
  position: SimulatedPosition,
  changes: Map<string, Big>
): PositionAssets {
  return {
    collateral: shock(simulationThresholds(position).collateral, changes),
    debt: shock(position.debt, changes),
  }
}

/** Relative price changes by upper-cased symbol, as `simulatePriceShock` reads them. */
export function priceChangeMap(priceChanges: Record<string, string>): Map<string, Big> {
  return new Map(Object.entries(priceChanges).map(([k, v]) => [k.toUpperCase(), new Big(v)]))
}

/**
 * Applies relative price changes ({ ETH: "-0.2" } = ETH −20 %) to every
 * collateral and debt asset of that symbol (case-insensitive) and reports the
 * health factor before (the stored one: what the protocol said) and after,
 * and the liquidation prices after. The thresholds are the assets', else the
 * metadata's, else those the stored health factor implies (`simulationThresholds`).
 */
export function simulatePriceShock(
  position: SimulatedPosition,
  priceChanges: Record<string, string>
): SimulationResult {
  const held = new Set(
    [...position.collateral, ...position.debt].map((a) => a.symbol.toUpperCase())
  )
  const changes = new Map<string, Big>()
  for (const [symbol, change] of Object.entries(priceChanges)) {
    const field = `priceChanges.${symbol}`
    if (!held.has(symbol.toUpperCase())) {
      throw new DomainError('E_UNKNOWN_ASSET', `${symbol} is not part of this position`, field)
    }
    const value = new Big(change)
    if (value.lt(-1))
      throw new DomainError(
        'E_INVALID_PRICE_CHANGE',
        'A price cannot fall by more than 100%',
        field
      )
    changes.set(symbol.toUpperCase(), value)
  }

  const simulated = simulatedAssets(position, changes)
  const after = healthFactorOf(simulated.collateral, simulated.debt, position.protocol)
  return {
    currentHealthFactor: position.healthFactor,
    // printed exactly as ingest stores a computed one
    simulatedHealthFactor: computeHealthFactor(
      simulated.collateral,
      simulated.debt,
      position.protocol
    ),
    liquidatable: isLiquidatable(after),
    bufferToLiquidationPct: bufferToLiquidationPct(after),
    collateralUsd: toDecimalString(totalValueUsd(simulated.collateral)),
    debtUsd: toDecimalString(totalValueUsd(simulated.debt)),
    liquidationPrices: liquidationPrices(simulated),
  }
}
