import Big from 'big.js'
import { DateTime } from 'luxon'
import { v7 as uuidv7 } from 'uuid'
import { BaseSeeder } from '@adonisjs/lucid/seeders'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import {
  bufferToLiquidationPct,
  computeHealthFactor,
  toDecimalString,
  totalValueUsd,
} from '#domain/positions/health_factor'
import type { Asset } from '#domain/positions/types'
import eventRecorder, { type NewEvent } from '#services/events/event_recorder'
import { positionStreamId } from '#services/positions/record_snapshots'
import { recordPricesOfSnapshots } from '#infrastructure/database/queries/price_history'
import { DEMO_DAYS, DEMO_PREFERENCES, DEMO_WALLET } from './demo_data.js'

const THRESHOLD = '1.5'

/** Deterministic PRNG (mulberry32): the same demo data on every machine. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * ETH in USD, hour by hour: a gentle random walk around $2,950 with two sharp
 * sell-offs (around day 9 and day 22) that push the Aave position below the
 * 1.5 threshold, then recover. The hourly noise stays well below the slope of
 * a sell-off, so each dip crosses the threshold once down and once up.
 */
function ethPrice(hour: number, noise: number): number {
  const day = hour / 24
  const dip = (center: number, depth: number, width: number) =>
    depth * Math.exp(-((day - center) ** 2) / (2 * width ** 2))
  return 2950 + 180 * Math.sin(day / 4.5) + noise - dip(9, 850, 0.7) - dip(22, 800, 0.7)
}

interface Row {
  id: string
  user_id: string
  wallet_address: string
  protocol: string
  chain_id: number
  health_factor: string | null
  collateral: string
  debt: string
  metadata: string
  snapshot_at: string
}

function money(value: number): string {
  return new Big(value).round(2, Big.roundHalfEven).toFixed(2)
}

export default class DemoSeeder extends BaseSeeder {
  async run() {
    const existing = await db.from('users').where('wallet_address', DEMO_WALLET).first()
    if (existing) {
      console.log('demo data already present: nothing to do')
      return
    }
    await db.transaction((trx) => this.seed(trx))
    console.log(`demo data seeded for ${DEMO_WALLET}`)
  }

  private async seed(trx: TransactionClientContract) {
    const events: NewEvent[] = []
    const userId = uuidv7()
    await trx.table('users').insert({
      id: userId,
      wallet_address: DEMO_WALLET,
      preferences: JSON.stringify(DEMO_PREFERENCES),
    })
    events.push({
      aggregateType: 'user',
      aggregateId: userId,
      eventType: 'user.registered',
      payload: { walletAddress: DEMO_WALLET, via: 'seed' },
    })

    const end = DateTime.utc().startOf('hour')
    const hours = DEMO_DAYS * 24
    const random = prng(42)
    let walk = 0
    const rows: Row[] = []
    const aaveSeries: { at: DateTime; hf: string; row: Row }[] = []

    for (let h = 0; h < hours; h++) {
      walk = walk * 0.97 + (random() - 0.5) * 12
      const price = ethPrice(h, walk)
      const at = end.minus({ hours: hours - 1 - h })
      const interest = 1 + (0.045 * h) / (365 * 24) // ~4.5 % APR on the debt

      const aaveCollateral: Asset[] = [
        {
          symbol: 'WETH',
          amount: '12',
          valueUsd: money(12 * price),
          priceUsd: money(price),
          liquidationThreshold: '0.825',
        },
        {
          symbol: 'USDC',
          amount: '5000',
          valueUsd: '5000.00',
          priceUsd: '1',
          liquidationThreshold: '0.78',
        },
      ]
      const aaveDebt: Asset[] = [
        {
          symbol: 'USDT',
          amount: money(19_500 * interest),
          valueUsd: money(19_500 * interest),
          priceUsd: '1',
        },
      ]
      const compoundCollateral: Asset[] = [
        {
          symbol: 'WETH',
          amount: '8',
          valueUsd: money(8 * price),
          priceUsd: money(price),
          liquidationThreshold: '0.83',
        },
      ]
      const compoundDebt: Asset[] = [
        {
          symbol: 'USDC',
          amount: money(9_000 * interest),
          valueUsd: money(9_000 * interest),
          priceUsd: '1',
        },
      ]

      for (const [protocol, collateral, debt] of [
        ['aave_v3', aaveCollateral, aaveDebt],
        ['compound_v3', compoundCollateral, compoundDebt],
      ] as const) {
        const row: Row = {
          id: uuidv7(),
          user_id: userId,
          wallet_address: DEMO_WALLET,
          protocol,
          chain_id: 1,
          health_factor: computeHealthFactor(collateral, debt, protocol),
          collateral: JSON.stringify(collateral),
          debt: JSON.stringify(debt),
          metadata: JSON.stringify({ source: 'demo' }),
          snapshot_at: at.toISO()!,
        }
        rows.push(row)
        if (protocol === 'aave_v3') aaveSeries.push({ at, hf: row.health_factor!, row })
      }
    }

    // The demo promises two dips below the threshold; fail loudly if the curve drifts.
    const dips = aaveSeries.filter(
      (p, i) => i > 0 && new Big(p.hf).lt(THRESHOLD) && new Big(aaveSeries[i - 1].hf).gte(THRESHOLD)
    )
    if (dips.length !== 2 || new Big(aaveSeries[0].hf).lt(THRESHOLD)) {
      throw new Error(
        `demo seed: expected the Aave health factor to dip below ${THRESHOLD} exactly twice, got ${dips.length} at ${dips.map((d) => `${d.at.toISO()} ${d.hf}`).join(', ')}`
      )
    }

    for (let i = 0; i < rows.length; i += 500) {
      await trx.table('positions').multiInsert(rows.slice(i, i + 500))
    }
    // the price history ingest would have kept: the liquidation probability reads it
    await recordPricesOfSnapshots(
      trx,
      rows.map((r) => ({
        chainId: r.chain_id,
        snapshotAt: r.snapshot_at,
        collateral: JSON.parse(r.collateral) as Asset[],
        debt: JSON.parse(r.debt) as Asset[],
      }))
    )
    for (const row of rows) {
      events.push({
        aggregateType: 'position',
        aggregateId: positionStreamId(userId, row.protocol, row.chain_id),
        eventType: 'position.snapshot_recorded',
        payload: {
          snapshotId: row.id,
          userId,
          walletAddress: DEMO_WALLET,
          protocol: row.protocol,
          chainId: 1,
          healthFactor: row.health_factor,
          snapshotAt: row.snapshot_at,
        },
        occurredAt: DateTime.fromISO(row.snapshot_at),
      })
    }

    const signals = this.signals(end)
    await trx
      .table('signals')
      .multiInsert(signals.map(({ summary: _, ...s }) => ({ ...s, data: JSON.stringify(s.data) })))
    for (const s of signals) {
      events.push({
        aggregateType: 'signal',
        aggregateId: s.id,
        eventType: 'signal.detected',
        payload: { type: s.type, asset: s.asset, severity: s.severity },
        occurredAt: DateTime.fromISO(s.detected_at),
      })
    }

    const alerts: Record<string, unknown>[] = []
    dips.forEach((dip, index) => {
      const collateral = JSON.parse(dip.row.collateral) as Asset[]
      const debt = JSON.parse(dip.row.debt) as Asset[]
      const hf = new Big(dip.hf)
      alerts.push({
        id: uuidv7(),
        user_id: userId,
        signal_id: null,
        type: 'health_factor_low',
        severity: hf.lt('1.1') ? 'critical' : 'high',
        channel: 'in_app',
        message:
          `Aave v3 on Ethereum: health factor ${hf.toFixed(2)} is below your threshold ${new Big(THRESHOLD).toFixed(2)}. ` +
          `Collateral $${toDecimalString(totalValueUsd(collateral), 2)}, debt $${toDecimalString(totalValueUsd(debt), 2)} — ` +
          `${bufferToLiquidationPct(hf)}% above liquidation.`,
        metadata: JSON.stringify({
          protocol: 'aave_v3',
          chainId: 1,
          healthFactor: dip.hf,
          threshold: THRESHOLD,
          snapshotId: dip.row.id,
        }),
        status: index === 0 ? 'acknowledged' : 'sent',
        attempts: 1,
        sent_at: dip.at.toISO(),
        acknowledged_at: index === 0 ? dip.at.plus({ minutes: 12 }).toISO() : null,
        created_at: dip.at.toISO(),
        updated_at: dip.at.toISO(),
      })
    })
    const watched = new Set(['WETH', 'ETH', 'USDC', 'USDT'])
    for (const s of signals) {
      if (!DEMO_PREFERENCES.activeSignals.includes(s.type) || !watched.has(s.asset)) continue
      alerts.push({
        id: uuidv7(),
        user_id: userId,
        signal_id: s.id,
        type: s.type,
        severity: s.severity,
        channel: 'in_app',
        message: `${s.severity.toUpperCase()} ${s.type.replaceAll('_', ' ')} on ${s.asset}: ${s.summary}`,
        metadata: JSON.stringify({ asset: s.asset }),
        status: 'sent',
        attempts: 1,
        sent_at: s.detected_at,
        created_at: s.detected_at,
        updated_at: s.detected_at,
      })
    }
    await trx.table('alerts').multiInsert(alerts)
    for (const a of alerts) {
      events.push({
        aggregateType: 'alert',
        aggregateId: a.id as string,
        eventType: 'alert.created',
        payload: { userId, type: a.type, channel: 'in_app', severity: a.severity },
        occurredAt: DateTime.fromISO(a.created_at as string),
      })
    }

    await eventRecorder.appendMany(trx, events)
  }

  private signals(end: DateTime) {
    const at = (daysAgo: number) => end.minus({ hours: Math.round(daysAgo * 24) })
    const list = [
      [
        'depeg',
        'USDC',
        'medium',
        27.5,
        { priceUsd: '0.9921', pool: 'curve-3pool' },
        'USDC traded at $0.9921',
      ],
      [
        'whale_movement',
        'ETH',
        'low',
        25,
        { amount: '18500', from: 'unknown', to: 'binance' },
        '18,500 ETH moved to an exchange',
      ],
      [
        'funding_rate_spike',
        'ETH',
        'medium',
        21.2,
        { rate: '0.00092', venue: 'perp-avg' },
        'funding at 0.092% per 8h',
      ],
      [
        'liquidation_risk',
        'ETH',
        'high',
        21.9,
        { liquidatableUsd: '412000000', band: '-10%' },
        '$412M of ETH collateral within 10% of liquidation',
      ],
      [
        'oracle_deviation',
        'WBTC',
        'medium',
        18,
        { deviation: '0.0125' },
        'oracle 1.25% off the market',
      ],
      ['depeg', 'USDT', 'high', 14.3, { priceUsd: '0.9874' }, 'USDT traded at $0.9874'],
      ['funding_rate_spike', 'BTC', 'low', 12, { rate: '0.00051' }, 'funding at 0.051% per 8h'],
      [
        'whale_movement',
        'ETH',
        'medium',
        9.1,
        { amount: '42000', from: 'coinbase', to: 'unknown' },
        '42,000 ETH left an exchange',
      ],
      [
        'liquidation_risk',
        'ETH',
        'critical',
        8.8,
        { liquidatableUsd: '1250000000', band: '-5%' },
        '$1.25B of ETH collateral within 5% of liquidation',
      ],
      ['depeg', 'DAI', 'low', 4, { priceUsd: '0.9968' }, 'DAI traded at $0.9968'],
      [
        'whale_movement',
        'ETH',
        'high',
        0.5,
        { amount: '65000', from: 'unknown', to: 'kraken' },
        '65,000 ETH moved to an exchange',
      ],
      ['funding_rate_spike', 'ETH', 'medium', 0.2, { rate: '0.00110' }, 'funding at 0.110% per 8h'],
    ] as const
    return list.map(([type, asset, severity, daysAgo, data, summary]) => {
      const detected = at(daysAgo)
      const expires = detected.plus({ hours: 12 })
      return {
        id: uuidv7(),
        type,
        asset,
        severity,
        data: data as Record<string, unknown>,
        detected_at: detected.toISO()!,
        expires_at: expires.toISO()!,
        status: expires <= end ? 'expired' : 'active',
        summary,
      }
    })
  }
}
