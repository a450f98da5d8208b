import db from '@adonisjs/lucid/services/db'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import env from '#start/env'
import {
  covarianceModel,
  DEFAULT_RISK_OPTIONS,
  exposures,
  formatRatio,
  hourlyLambda,
  HOUR_MS,
  liquidationRisk,
  type CovarianceModel,
  type LiquidationRisk,
  type PricePoint,
} from '#domain/positions/liquidation_risk'
import { simulationThresholds } from '#domain/positions/thresholds'
import type { Asset } from '#domain/positions/types'
import { DomainError } from '#domain/shared/errors'
import { hourlyPrices } from '#infrastructure/database/queries/price_history'
import type { PositionRow } from '#infrastructure/database/queries/latest_positions'
import type { Position } from '#models'
import {
  findPosition,
  latestPositions,
  type PositionFilter,
} from '#services/positions/read_positions'

/**
 * How far back the model reads. At λ = 0.94 per day, 60 days leave the
 * older tail 0.94^60 ≈ 2 % of the weight: reading further changes nothing
 * a user could notice and costs rows.
 */
const WINDOW_DAYS = 60

export interface RiskPosition {
  chainId: number
  protocol: string
  /** As stored: the indexer's figure when it gave one. */
  healthFactor: string | null
  collateral: Asset[]
  debt: Asset[]
  metadata?: Record<string, unknown> | null
}

export function riskOptions() {
  return {
    lambdaPerDay: env.get('RISK_EWMA_LAMBDA', DEFAULT_RISK_OPTIONS.lambdaPerDay),
    minSamples: env.get('RISK_MIN_SAMPLES', DEFAULT_RISK_OPTIONS.minSamples),
  }
}

/** The price series key of an asset, as price_history keys it. */
export function assetKey(asset: Asset): string {
  return asset.address ? asset.address.toLowerCase() : asset.symbol.toUpperCase()
}

/** The position's shares, with the thresholds its simulation would use. */
function exposuresOf(position: RiskPosition) {
  let collateral: Asset[]
  try {
    collateral = simulationThresholds(position).collateral
  } catch (error) {
    // no thresholds and no health factor: nothing to weight by (its HF is unknown too)
    if (error instanceof DomainError) return null
    throw error
  }
  return exposures(
    collateral.map((a) => ({
      key: assetKey(a),
      valueUsd: Number(a.valueUsd),
      liquidationThreshold: Number(a.liquidationThreshold ?? '0'),
    })),
    position.debt.map((a) => ({ key: assetKey(a), valueUsd: Number(a.valueUsd) }))
  )
}

/**
 * Models of "now" for the dashboard's reads, per (chain, set of assets), kept
 * for RISK_MODEL_CACHE_MS (60 s): a model changes when a new hour's price
 * lands, and rebuilding it on every GET /positions cost a third of that
 * route's throughput. Tests set 0 (each test writes its own history).
 */
const nowCache = new Map<string, { until: number; model: CovarianceModel }>()
const NOW_CACHE_LIMIT = 1000

/**
 * One covariance model per chain over every asset the positions hold, from
 * one read of price_history: the per-position work is then a w′Σw of a few
 * terms, so a page of positions — or 100,000 of them — costs one query and
 * one EWMA pass per asset pair. `cached`: the positions are judged as of now,
 * and a model of the last RISK_MODEL_CACHE_MS will do.
 */
export async function loadRiskModels(
  positions: RiskPosition[],
  asOf: Date,
  client: QueryClientContract = db.connection(),
  { cached = false }: { cached?: boolean } = {}
): Promise<Map<number, CovarianceModel>> {
  const wanted = new Map<number, Set<string>>()
  for (const p of positions) {
    const keys = wanted.get(p.chainId) ?? new Set<string>()
    wanted.set(p.chainId, keys)
    for (const a of [...p.collateral, ...p.debt]) keys.add(assetKey(a))
  }
  const ttl = cached ? env.get('RISK_MODEL_CACHE_MS', 60_000) : 0
  const models = new Map<number, CovarianceModel>()
  const cacheKeys = new Map<number, string>()
  const now = Date.now()
  for (const [chainId, keys] of wanted) {
    const cacheKey = `${chainId}|${[...keys].sort().join(',')}`
    cacheKeys.set(chainId, cacheKey)
    const hit = ttl > 0 ? nowCache.get(cacheKey) : undefined
    if (hit && hit.until > now) {
      models.set(chainId, hit.model)
      wanted.delete(chainId)
    }
  }
  if (wanted.size === 0) return models

  const from = new Date(asOf.getTime() - WINDOW_DAYS * 24 * HOUR_MS)
  const assets = [...wanted].flatMap(([chainId, keys]) =>
    [...keys].map((key) => ({ chainId, key }))
  )
  const rows = await hourlyPrices(client, assets, from, asOf)
  const series = new Map<number, Map<string, PricePoint[]>>()
  for (const chainId of wanted.keys()) series.set(chainId, new Map())
  for (const row of rows) {
    const chain = series.get(row.chain_id)!
    const points = chain.get(row.asset_key) ?? []
    chain.set(row.asset_key, points)
    points.push({ hour: row.hour.getTime(), priceUsd: Number(row.price_usd) })
  }
  const lambda = hourlyLambda(riskOptions().lambdaPerDay)
  for (const [chainId, chain] of series) {
    // stored rows are one per hour already; gaps are carried forward as the model assumes
    for (const [key, points] of chain) chain.set(key, fillGaps(points))
    const model = covarianceModel(chain, lambda)
    models.set(chainId, model)
    if (ttl > 0) {
      if (nowCache.size >= NOW_CACHE_LIMIT) nowCache.clear()
      nowCache.set(cacheKeys.get(chainId)!, { until: now + ttl, model })
    }
  }
  return models
}

function fillGaps(points: PricePoint[]): PricePoint[] {
  const out: PricePoint[] = []
  for (const p of points) {
    const last = out[out.length - 1]
    if (last) {
      for (let h = last.hour + HOUR_MS; h < p.hour; h += HOUR_MS) {
        out.push({ hour: h, priceUsd: last.priceUsd })
      }
    }
    out.push(p)
  }
  return out
}

const EMPTY_MODEL: CovarianceModel = covarianceModel(new Map(), 0.5)

export function riskOfPosition(
  position: RiskPosition,
  models: Map<number, CovarianceModel>,
  healthFactor = position.healthFactor
): LiquidationRisk {
  const weights = exposuresOf(position)
  const hf = healthFactor === null ? null : Number(healthFactor)
  if (weights === null) return { available: false, reason: 'no_collateral', samples: 0 }
  return liquidationRisk(
    hf,
    weights,
    models.get(position.chainId) ?? EMPTY_MODEL,
    riskOptions().minSamples
  )
}

/** The risk of each position, in order, as of an instant. */
export async function liquidationRisks(
  positions: RiskPosition[],
  asOf?: Date
): Promise<LiquidationRisk[]> {
  // as of now (no instant given), a model of the last minute will do
  const models = await loadRiskModels(positions, asOf ?? new Date(), undefined, {
    cached: asOf === undefined,
  })
  return positions.map((p) => riskOfPosition(p, models))
}

/** The API's `risk` object: decimals as strings, or nulls and the reason. */
export function riskToJson(risk: LiquidationRisk) {
  if (!risk.available) {
    return {
      liquidationProbability: null,
      volatility24h: null,
      basedOn: { samples: risk.samples, since: null },
      unavailableReason: risk.reason,
    }
  }
  return {
    liquidationProbability: {
      '1h': formatRatio(risk.probabilities['1h']),
      '24h': formatRatio(risk.probabilities['24h']),
      '7d': formatRatio(risk.probabilities['7d']),
    },
    volatility24h: formatRatio(risk.volatility24h),
    basedOn: { samples: risk.samples, since: new Date(risk.since).toISOString() },
    unavailableReason: null,
  }
}

export type RiskJson = ReturnType<typeof riskToJson>

function rowToRisk(row: PositionRow): RiskPosition {
  return {
    chainId: row.chain_id,
    protocol: row.protocol,
    healthFactor: row.health_factor,
    collateral: row.collateral,
    debt: row.debt,
    metadata: row.metadata,
  }
}

/** The latest snapshot per position, each with its risk as of now. */
export async function latestPositionsWithRisk(
  userId: string,
  filter: PositionFilter = {}
): Promise<{ row: PositionRow; risk: RiskJson }[]> {
  const rows = await latestPositions(userId, filter)
  const risks = await liquidationRisks(rows.map(rowToRisk))
  return rows.map((row, i) => ({ row, risk: riskToJson(risks[i]) }))
}

/** One snapshot with its risk as of the instant it was taken (a past one is judged on its past). */
export async function positionWithRisk(
  userId: string,
  id: string
): Promise<{ position: Position; risk: RiskJson }> {
  const position = await findPosition(userId, id)
  const [risk] = await liquidationRisks(
    [
      {
        chainId: position.chainId,
        protocol: position.protocol,
        healthFactor: position.healthFactor,
        collateral: position.collateral,
        debt: position.debt,
        metadata: position.metadata,
      },
    ],
    position.snapshotAt.toJSDate()
  )
  return { position, risk: riskToJson(risk) }
}
