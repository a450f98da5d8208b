import Big from 'big.js'
import { DomainError } from '#domain/shared/errors'
import type { Asset } from './types.js'
import { divide, healthFactorMathOf, totalValueUsd } from './health_factor.js'

/**
 * Where the liquidation thresholds of a position come from, best first:
 * - `assets`: at least one collateral asset carries its own;
 * - `metadata`: the position's `metadata.liquidationThreshold` (the shape the
 *   schema document gives: `metadata: { ltv: '0.5', liquidationThreshold: '0.825' }`),
 *   one threshold for all the collateral, as Aave's account data reports it;
 * - `health_factor`: the one uniform threshold the stored health factor implies.
 */
export type ThresholdSource = 'assets' | 'metadata' | 'health_factor'

export interface ResolvedThresholds {
  /** The collateral with the thresholds to compute with. */
  collateral: Asset[]
  source: ThresholdSource | null
}

/** The position-level ratios the metadata may carry. */
const METADATA_RATIOS = ['liquidationThreshold', 'ltv'] as const

// The same ratio the validators accept for an asset's threshold (0..1, at most 36 places).
const UNIT_INTERVAL = /^(0(\.\d{1,36})?|1(\.0{1,36})?)$/

/** A JSON number or decimal string within 0..1, as a decimal string; null when it is neither. */
function ratio(value: unknown): string | null {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value
  return typeof text === 'string' && UNIT_INTERVAL.test(text.trim()) ? text.trim() : null
}

/**
 * The metadata's `ltv` and `liquidationThreshold`, when present, must be ratios
 * within 0..1: the health factor is computed from the threshold, and a bad one
 * would be stored as if it were data. `path` prefixes the field
 * (`snapshots.3.` in a batch).
 */
export function metadataRatioProblems(
  metadata: Record<string, unknown> | undefined,
  path = ''
): DomainError[] {
  if (!metadata) return []
  return METADATA_RATIOS.filter(
    (key) => metadata[key] !== undefined && ratio(metadata[key]) === null
  ).map(
    (key) =>
      new DomainError(
        'E_VALIDATION_ERROR',
        `The metadata.${key} field must be a ratio between 0 and 1, such as "0.825"`,
        `${path}metadata.${key}`
      )
  )
}

/** The position-level threshold of the metadata, or null when it has none (or a malformed one). */
export function metadataLiquidationThreshold(
  metadata: Record<string, unknown> | null | undefined
): string | null {
  return metadata ? ratio(metadata.liquidationThreshold) : null
}

function carriesThresholds(collateral: Asset[]): boolean {
  return collateral.some((a) => a.liquidationThreshold !== undefined)
}

function uniform(collateral: Asset[], liquidationThreshold: string): Asset[] {
  return collateral.map((a) => ({ ...a, liquidationThreshold }))
}

/**
 * The one threshold that makes the stored health factor: HF × debt / collateral.
 * For Aave v3 it is rounded to whole basis points, since the Pool's average
 * threshold is one: a health factor read from the Pool then gives back its exact
 * threshold, where the quotient's rounding noise cut down would lose a basis point.
 */
export function impliedLiquidationThreshold(
  protocol: string,
  healthFactor: string,
  collateral: Asset[],
  debt: Asset[]
): string {
  const collateralUsd = totalValueUsd(collateral)
  // Without collateral any threshold gives the same health factor (0).
  if (collateralUsd.eq(0)) return '0'
  const implied = divide(new Big(healthFactor).times(totalValueUsd(debt)), collateralUsd)
  return healthFactorMathOf(protocol) === 'aave_v3'
    ? implied.times(10_000).round(0, Big.roundHalfUp).div(10_000).toFixed()
    : implied.toFixed()
}

/**
 * The thresholds to compute a position's health factor with: the assets',
 * else the metadata's. The metadata's applies only when no collateral asset
 * carries one: it is the position's average, which says nothing about one
 * asset among others that carry their own.
 */
export function declaredThresholds(
  collateral: Asset[],
  metadata: Record<string, unknown> | null | undefined
): ResolvedThresholds {
  if (carriesThresholds(collateral)) return { collateral, source: 'assets' }
  const positionLevel = metadataLiquidationThreshold(metadata)
  if (positionLevel !== null) {
    return { collateral: uniform(collateral, positionLevel), source: 'metadata' }
  }
  return { collateral, source: null }
}

/**
 * As `declaredThresholds`, then the threshold the stored health factor implies.
 * With debt and none of the three, the health factor under other prices cannot
 * be known: an error saying so, rather than a health factor of 0.
 */
export function simulationThresholds(position: {
  protocol: string
  collateral: Asset[]
  debt: Asset[]
  healthFactor: string | null
  metadata?: Record<string, unknown> | null
}): ResolvedThresholds {
  const declared = declaredThresholds(position.collateral, position.metadata)
  if (declared.source !== null || totalValueUsd(position.debt).eq(0)) return declared
  if (position.healthFactor !== null) {
    const liquidationThreshold = impliedLiquidationThreshold(
      position.protocol,
      position.healthFactor,
      position.collateral,
      position.debt
    )
    return {
      collateral: uniform(position.collateral, liquidationThreshold),
      source: 'health_factor',
    }
  }
  throw new DomainError(
    'E_UNKNOWN_THRESHOLDS',
    'This snapshot has debt but no liquidation thresholds (none on its collateral, no ' +
      'metadata.liquidationThreshold) and no health factor, so its health factor under ' +
      'other prices cannot be computed. Record a snapshot that carries one of them.'
  )
}

/**
 * A snapshot that gives no health factor must let us compute one. With
 * collateral and debt but no threshold anywhere (none on the collateral, no
 * metadata.liquidationThreshold), the only figure the math could give is 0 —
 * a "liquidatable" position made up from missing data, and a critical alert
 * to a user whose position may be perfectly safe. Refused instead, naming
 * what would make it computable. (Without collateral 0 is the truth, and an
 * explicit threshold of "0" marks an asset that is not collateral.)
 */
export function unknownThresholdProblems(
  input: {
    healthFactor?: string | null
    collateral: Asset[]
    debt: Asset[]
    metadata?: Record<string, unknown> | null
  },
  path = ''
): DomainError[] {
  if (input.healthFactor !== undefined) return []
  if (declaredThresholds(input.collateral, input.metadata).source !== null) return []
  if (totalValueUsd(input.debt).eq(0) || totalValueUsd(input.collateral).eq(0)) return []
  return [
    new DomainError(
      'E_VALIDATION_ERROR',
      'This snapshot has collateral and debt but no healthFactor and no liquidation ' +
        'thresholds (none on its collateral, no metadata.liquidationThreshold), so its health ' +
        'factor cannot be computed: give one of them',
      `${path}healthFactor`
    ),
  ]
}
