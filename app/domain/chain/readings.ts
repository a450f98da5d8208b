import Big from 'big.js'
import { formatUnits, maxUint256 } from 'viem'
import type { Asset } from '../positions/types.js'
import { toDecimalString } from '../positions/health_factor.js'

/**
 * What chain reads mean: raw integers from the contracts turned into a
 * snapshot's assets, and whether a position changed enough to be written.
 * Pure: the RPC calls are in app/infrastructure/chain.
 */

/** The block every read of one sync round is pinned to. */
export interface BlockRef {
  number: bigint
  hash: `0x${string}`
  timestamp: bigint
}

/** A position read from the chain, ready for the ingest path. */
export interface ChainReading {
  wallet: string
  protocol: 'aave_v3' | 'compound_v3'
  chainId: number
  /** The protocol's own figure (Aave), or undefined: the ingest computes it (Comet). */
  healthFactor?: string | null
  collateral: Asset[]
  debt: Asset[]
  metadata: Record<string, unknown>
}

/**
 * A cheap per-wallet reading that says whether the full one is needed:
 * `exact` values must match, `approx` ones may drift by CHANGE_TOLERANCE
 * (interest accrues every block: without a tolerance every wallet with a debt
 * would be written every round). The heartbeat catches the slow drift.
 */
export interface Probe {
  empty: boolean
  exact: Record<string, string>
  approx: Record<string, string>
}

/** 1 part in 10,000: a 0.01 % move of a total or a balance is a change. */
const TOLERANCE_PARTS = 10_000n

function differs(a: bigint, b: bigint): boolean {
  const larger = a > b ? a : b
  const gap = a > b ? a - b : b - a
  return gap * TOLERANCE_PARTS > larger
}

export interface PreviousSnapshot {
  snapshotAtMs: number
  empty: boolean
  probe: Omit<Probe, 'empty'> | null
}

export type Decision = 'new' | 'changed' | 'closed' | 'heartbeat' | null

/**
 * Whether a position gets a snapshot this round: a new or changed one, one
 * closed on chain (a final empty snapshot), or a heartbeat when its newest
 * snapshot is older than `heartbeatMs`. A wallet with nothing and no history
 * is not a position.
 */
export function decide(
  previous: PreviousSnapshot | null,
  probe: Probe,
  nowMs: number,
  heartbeatMs: number
): Decision {
  if (!previous || previous.empty) return probe.empty ? null : 'new'
  if (probe.empty) return 'closed'
  if (!previous.probe) return 'changed'
  const before = previous.probe
  for (const key of new Set([...Object.keys(before.exact), ...Object.keys(probe.exact)])) {
    if (before.exact[key] !== probe.exact[key]) return 'changed'
  }
  for (const key of new Set([...Object.keys(before.approx), ...Object.keys(probe.approx)])) {
    const a = before.approx[key]
    const b = probe.approx[key]
    if (a === undefined || b === undefined || !/^\d+$/.test(a) || !/^\d+$/.test(b)) {
      if (a !== b) return 'changed'
    } else if (differs(BigInt(a), BigInt(b))) return 'changed'
  }
  if (nowMs - previous.snapshotAtMs >= heartbeatMs) return 'heartbeat'
  return null
}

/**
 * What one position's holders have (docs/adr/0014): a watched wallet may be
 * on many users' lists, and chain sync reads it once per round. `variants`
 * are the distinct newest snapshots among the holders' heads (normally one:
 * every holder got the same chain snapshot), each with the instant of the
 * OLDEST head showing it, so the heartbeat refreshes the stalest holder.
 * `missing`: some current holder has no head for the position yet (they
 * just added the wallet to their list).
 */
export interface HoldersPrevious {
  variants: PreviousSnapshot[]
  missing: boolean
}

const DECISION_PRIORITY: Exclude<Decision, null>[] = ['closed', 'changed', 'new', 'heartbeat']

/**
 * The change decision, made once per (wallet, protocol) for all its holders:
 * the position is written when ANY current holder's view of it is due —
 * `decide` against each distinct head, and against nothing for a holder
 * without one (so a user who just added a wallet gets its open position at
 * the next round, not at the next change or heartbeat; an empty wallet still
 * writes nothing). The snapshot then goes to every holder in one set-based
 * insert (recordSnapshots), including those already up to date: one extra
 * identical row for them when a newcomer triggered the write, which keeps the
 * write path the one every service ingest takes.
 * When holders disagree, the strongest reason wins: closed, changed, new,
 * heartbeat. `undefined` (no holder has a head): the position is new to all.
 */
export function decideForHolders(
  held: HoldersPrevious | undefined,
  probe: Probe,
  nowMs: number,
  heartbeatMs: number
): Decision {
  const decisions = (held?.variants ?? []).map((v) => decide(v, probe, nowMs, heartbeatMs))
  if (!held || held.missing) decisions.push(decide(null, probe, nowMs, heartbeatMs))
  return DECISION_PRIORITY.find((d) => decisions.includes(d)) ?? null
}

/** amount × price, both already scaled to decimal strings, exactly. */
function valueOf(amount: string, price: string): string {
  return toDecimalString(new Big(amount).times(price))
}

function blockMetadata(block: BlockRef, probe: Probe) {
  return {
    source: 'chain',
    blockNumber: block.number.toString(),
    blockHash: block.hash,
    chainProbe: { exact: probe.exact, approx: probe.approx },
  }
}

// ---------------------------------------------------------------- Aave v3

export interface AaveReserve {
  /** The reserve's index in Pool.getReservesList: its bits in the user configuration. */
  id: number
  asset: `0x${string}`
  symbol: string
  decimals: number
  /** Basis points (8250 = 82.5 %). */
  liquidationThresholdBps: bigint
  aToken: `0x${string}`
  variableDebtToken: `0x${string}`
  stableDebtToken: `0x${string}` | null
  /** The market oracle's price, in units of `baseUnit` (v3 markets: USD, 1e8). */
  price: bigint
}

export interface AaveMarketState {
  pool: `0x${string}`
  baseUnit: bigint
  reserves: AaveReserve[]
}

/** Pool.getUserAccountData and Pool.getUserConfiguration of one wallet. */
export interface AaveAccount {
  totalCollateralBase: bigint
  totalDebtBase: bigint
  healthFactor: bigint
  userConfiguration: bigint
}

/** Per reserve (same order as the market's): balances including accrued interest. */
export interface AaveBalance {
  supplied: bigint
  variableDebt: bigint
  stableDebt: bigint
}

export function aaveProbe(account: AaveAccount): Probe {
  return {
    empty:
      account.totalCollateralBase === 0n &&
      account.totalDebtBase === 0n &&
      account.userConfiguration === 0n,
    exact: { userConfiguration: account.userConfiguration.toString() },
    approx: {
      totalCollateralBase: account.totalCollateralBase.toString(),
      totalDebtBase: account.totalDebtBase.toString(),
      healthFactor: account.healthFactor.toString(),
    },
  }
}

const isCollateral = (configuration: bigint, id: number) =>
  ((configuration >> BigInt(id * 2 + 1)) & 1n) === 1n
export const isBorrowing = (configuration: bigint, id: number) =>
  ((configuration >> BigInt(id * 2)) & 1n) === 1n

/**
 * One wallet's Aave v3 position. The health factor is the Pool's own (1e18
 * fixed point, to the wei); no debt is null. A supplied asset counts as
 * collateral (carries its liquidation threshold) only when the wallet uses it
 * as collateral, as Aave does.
 */
export function aaveReading(
  wallet: string,
  chainId: number,
  block: BlockRef,
  market: AaveMarketState,
  account: AaveAccount,
  balances: AaveBalance[]
): ChainReading {
  const collateral: Asset[] = []
  const debt: Asset[] = []
  market.reserves.forEach((reserve, index) => {
    const balance = balances[index]
    const priceUsd = toDecimalString(
      new Big(reserve.price.toString()).div(market.baseUnit.toString())
    )
    if (balance.supplied > 0n) {
      const amount = formatUnits(balance.supplied, reserve.decimals)
      collateral.push({
        symbol: reserve.symbol,
        amount,
        valueUsd: valueOf(amount, priceUsd),
        priceUsd,
        address: reserve.asset.toLowerCase(),
        ...(isCollateral(account.userConfiguration, reserve.id)
          ? { liquidationThreshold: formatUnits(reserve.liquidationThresholdBps, 4) }
          : {}),
      })
    }
    const owed = balance.variableDebt + balance.stableDebt
    if (owed > 0n) {
      const amount = formatUnits(owed, reserve.decimals)
      debt.push({
        symbol: reserve.symbol,
        amount,
        valueUsd: valueOf(amount, priceUsd),
        priceUsd,
        address: reserve.asset.toLowerCase(),
      })
    }
  })
  const noDebt = account.totalDebtBase === 0n || account.healthFactor === maxUint256
  return {
    wallet,
    protocol: 'aave_v3',
    chainId,
    healthFactor: noDebt ? null : formatUnits(account.healthFactor, 18),
    collateral,
    debt,
    metadata: {
      ...blockMetadata(block, aaveProbe(account)),
      market: market.pool.toLowerCase(),
    },
  }
}

// ------------------------------------------------------------ Compound v3

export interface CometAsset {
  asset: `0x${string}`
  symbol: string
  decimals: number
  /** Price feed answer, 8 decimals (USD). */
  price: bigint
  /** 1e18 fixed point. */
  liquidateCollateralFactor: bigint
}

export interface CometMarketState {
  comet: `0x${string}`
  base: { asset: `0x${string}`; symbol: string; decimals: number; price: bigint }
  assets: CometAsset[]
}

/** borrowBalanceOf, balanceOf (base supplied) and collateralBalanceOf per asset. */
export interface CometAccount {
  borrow: bigint
  supplied: bigint
  collateral: bigint[]
}

export function cometProbe(market: CometMarketState, account: CometAccount): Probe {
  const approx: Record<string, string> = {
    borrow: account.borrow.toString(),
    supplied: account.supplied.toString(),
  }
  // a price move changes the health factor without any balance changing
  approx[`price:${market.base.symbol}`] = market.base.price.toString()
  market.assets.forEach((asset, i) => {
    approx[`collateral:${asset.symbol}`] = account.collateral[i].toString()
    if (account.collateral[i] > 0n) approx[`price:${asset.symbol}`] = asset.price.toString()
  })
  return {
    empty:
      account.borrow === 0n && account.supplied === 0n && account.collateral.every((c) => c === 0n),
    exact: {},
    approx,
  }
}

/**
 * One wallet's Compound v3 position: collateral carries the
 * liquidate-collateral factor as its threshold, so the ingest's health factor
 * is Σ collateral × price × liquidateCollateralFactor ÷ borrow × price — when
 * Comet itself would start liquidating. Supplied base earns interest and is no
 * collateral (no threshold).
 */
export function cometReading(
  wallet: string,
  chainId: number,
  block: BlockRef,
  market: CometMarketState,
  account: CometAccount
): ChainReading {
  const price = (p: bigint) => formatUnits(p, 8)
  const collateral: Asset[] = []
  market.assets.forEach((asset, i) => {
    if (account.collateral[i] === 0n) return
    const amount = formatUnits(account.collateral[i], asset.decimals)
    collateral.push({
      symbol: asset.symbol,
      amount,
      valueUsd: valueOf(amount, price(asset.price)),
      priceUsd: price(asset.price),
      address: asset.asset.toLowerCase(),
      liquidationThreshold: formatUnits(asset.liquidateCollateralFactor, 18),
    })
  })
  const base = market.base
  const line = (raw: bigint): Asset => {
    const amount = formatUnits(raw, base.decimals)
    return {
      symbol: base.symbol,
      amount,
      valueUsd: valueOf(amount, price(base.price)),
      priceUsd: price(base.price),
      address: base.asset.toLowerCase(),
    }
  }
  if (account.supplied > 0n) collateral.push(line(account.supplied))
  return {
    wallet,
    protocol: 'compound_v3',
    chainId,
    collateral,
    debt: account.borrow > 0n ? [line(account.borrow)] : [],
    metadata: {
      ...blockMetadata(block, cometProbe(market, account)),
      market: market.comet.toLowerCase(),
    },
  }
}
