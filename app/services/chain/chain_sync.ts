import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import { DateTime } from 'luxon'
import { getAddress, type Address, type PublicClient } from 'viem'
import chainConfig, { type ChainSettings } from '#config/chain'
import type { MarketAddresses } from '#domain/chain/config'
import {
  aaveProbe,
  aaveReading,
  cometProbe,
  cometReading,
  decideForHolders,
  type BlockRef,
  type ChainReading,
  type Decision,
  type HoldersPrevious,
  type PreviousSnapshot,
} from '#domain/chain/readings'
import { computeHealthFactor } from '#domain/positions/health_factor'
import {
  AAVE_V3,
  COMPOUND_V3,
  forgetRegisteredMarkets,
  registerMarket,
} from '#domain/intents/registry'
import { ChainEndpoints, redactUrl } from '#infrastructure/chain/client'
import {
  latestBlock,
  readAaveAccounts,
  readAaveBalances,
  readAaveLayout,
  readAavePrices,
  readCometAccounts,
  readCometLayout,
  readCometPrices,
  type AaveMarketLayout,
  type CometLayout,
} from '#infrastructure/chain/readers'
import { recordSnapshots, type SnapshotInput } from '#services/positions/record_snapshots'
import { alertStaleChain } from '#services/chain/stale_alerts'

/** The advisory-lock class of sync rounds (the chain id is the second key). */
const CHAIN_SYNC_LOCK = 0x63_68_73_79 // 'chsy'

/** Snapshots per ingest transaction: the batch endpoint's own limit. */
const INGEST_BATCH = 1_000
/** Market layouts (reserves, tokens, thresholds) are re-read this often; prices every round. */
const LAYOUT_TTL_MS = 10 * 60 * 1000

export interface SyncResult {
  chainId: number
  blockNumber: string
  blockHash: string
  /** Distinct wallets read: a wallet on several lists counts once. */
  wallets: number
  /**
   * Positions written, by reason: one per (wallet, protocol), however many
   * holders the wallet has (each gets its row; chain_sync_state counts the same).
   */
  written: Record<Exclude<Decision, null>, number>
  ethCalls: number
}

/**
 * The markets a chain is read for: CHAIN_MARKETS first (chains the address
 * book does not know, forks), else Aave's address book and the registry's
 * Comet.
 */
function marketsOf(settings: ChainSettings, chainId: number): MarketAddresses {
  const configured = settings.markets.get(chainId) ?? {}
  const aave = configured.aave_v3 ?? AAVE_V3[chainId]?.addressesProvider
  const comet = configured.compound_v3 ?? COMPOUND_V3[chainId]?.comet
  return {
    ...(aave ? { aave_v3: aave } : {}),
    ...(comet ? { compound_v3: comet } : {}),
  }
}

/** An error as it may be shown to users and operators: one line, no endpoint secrets. */
export function describeError(error: unknown): string {
  const e = error as { shortMessage?: string; message?: string; name?: string }
  const text = (e?.shortMessage ?? e?.message ?? String(error)).split('\n')[0]
  return text.replace(/https?:\/\/[^\s"')]+/g, (url) => redactUrl(url)).slice(0, 300)
}

/**
 * Chain sync: reads every listed wallet's Aave v3 and Compound v3 positions on a
 * configured chain at one block and writes the ones that changed through the
 * ingest path. Every read of a round finishes before anything is written: an
 * endpoint dying mid-round writes nothing, never half a position.
 */
export class ChainSync {
  #settings: ChainSettings
  #endpoints = new Map<number, ChainEndpoints>()
  #aaveLayouts = new Map<string, { at: number; layout: AaveMarketLayout }>()
  #cometLayouts = new Map<string, { at: number; layout: CometLayout }>()

  constructor(settings: ChainSettings) {
    this.#settings = settings
  }

  get settings() {
    return this.#settings
  }

  /** Tests and `pnpm dev:chain` point sync at their own chain. */
  configure(settings: Partial<ChainSettings>) {
    this.#settings = { ...this.#settings, ...settings }
    this.#endpoints.clear()
    this.#aaveLayouts.clear()
    this.#cometLayouts.clear()
    forgetRegisteredMarkets()
  }

  chains(): number[] {
    return [...this.#settings.rpcUrls.keys()].sort((a, b) => a - b)
  }

  markets(chainId: number): MarketAddresses {
    return marketsOf(this.#settings, chainId)
  }

  endpoints(chainId: number): ChainEndpoints {
    let endpoints = this.#endpoints.get(chainId)
    if (!endpoints) {
      const urls = this.#settings.rpcUrls.get(chainId)
      if (!urls) throw new Error(`chain ${chainId} is not configured`)
      endpoints = new ChainEndpoints(chainId, urls, {
        timeoutMs: this.#settings.rpcTimeoutMs,
        retryCount: 3,
      })
      this.#endpoints.set(chainId, endpoints)
    }
    return endpoints
  }

  /** Checks every endpoint's eth_chainId now (at boot), logging the refused ones. */
  async verifyEndpoints() {
    await Promise.all(this.chains().map((id) => this.endpoints(id).verify()))
  }

  /**
   * At boot: checks the endpoints and reads the markets' layouts, which
   * registers the markets of CHAIN_MARKETS chains for intents — the API
   * process validates intents too, and it may never run a round itself.
   */
  async warmUp() {
    await this.verifyEndpoints()
    for (const chainId of this.chains()) {
      try {
        const client = await this.endpoints(chainId).client()
        const block = await latestBlock(client)
        const markets = this.markets(chainId)
        if (markets.aave_v3) await this.#aaveLayout(client, chainId, markets.aave_v3, block)
        if (markets.compound_v3)
          await this.#cometLayout(client, chainId, markets.compound_v3, block)
      } catch (error) {
        logger.warn(
          `chain sync: chain ${chainId}'s markets not read at boot: ${describeError(error)}`
        )
      }
    }
  }

  /**
   * One round for one chain: every wallet on anyone's list, each read once
   * however many users hold it (docs/adr/0014), or just `wallets` (a user's
   * "sync now": all of theirs). What is written reaches every current holder.
   * Records the outcome in chain_sync_state; a failure past
   * CHAIN_STALE_MINUTES tells the affected users once. Throws the failure.
   */
  async syncChain(chainId: number, options: { wallets?: string[] } = {}): Promise<SyncResult> {
    const endpoints = this.endpoints(chainId)
    const callsBefore = endpoints.ethCalls
    await db.rawQuery(
      `insert into chain_sync_state (chain_id, last_attempt_at) values (?, now())
       on conflict (chain_id) do update set last_attempt_at = now(), updated_at = now()`,
      [chainId]
    )
    // One round per chain at a time, across processes: a user's "sync now" during
    // the scheduled round would otherwise compare against the same previous
    // snapshots, find the same change and write it twice. Transaction-scoped on a
    // connection of its own that writes nothing (no xid: it holds back no reader).
    const lock = await db.transaction()
    try {
      await lock.rawQuery('select pg_advisory_xact_lock(?, ?)', [CHAIN_SYNC_LOCK, chainId])
      const client = await endpoints.client()
      const block = await latestBlock(client)
      const wallets = (options.wallets ?? (await allWallets())).map((w) => w.toLowerCase())
      const { readings, decisions } = await this.#read(client, chainId, block, wallets)
      const written = await this.#write(readings, decisions)
      await db.rawQuery(
        `update chain_sync_state
            set latest_block = ?, latest_block_hash = ?, latest_block_at = to_timestamp(?),
                last_success_at = now(), last_error = null, last_error_at = null,
                stale_alerted_at = null, snapshots_written = snapshots_written + ?, updated_at = now()
          where chain_id = ?`,
        [block.number.toString(), block.hash, Number(block.timestamp), readings.length, chainId]
      )
      return {
        chainId,
        blockNumber: block.number.toString(),
        blockHash: block.hash,
        wallets: wallets.length,
        written,
        ethCalls: endpoints.ethCalls - callsBefore,
      }
    } catch (error) {
      const message = describeError(error)
      logger.warn({ err: error }, `chain sync: chain ${chainId} failed: ${message}`)
      await db.rawQuery(
        `update chain_sync_state set last_error = ?, last_error_at = now(), updated_at = now()
          where chain_id = ?`,
        [message, chainId]
      )
      await alertStaleChain(chainId, this.#settings.staleMinutes)
      throw error
    } finally {
      await lock.commit().catch(() => {})
    }
  }

  async #aaveLayout(client: PublicClient, chainId: number, provider: Address, block: BlockRef) {
    const key = `${chainId}:${provider}`
    const cached = this.#aaveLayouts.get(key)
    if (cached && Date.now() - cached.at < LAYOUT_TTL_MS) return cached.layout
    const layout = await readAaveLayout(client, provider, block)
    this.#aaveLayouts.set(key, { at: Date.now(), layout })
    registerMarket('aave_v3', chainId, {
      pool: getAddress(layout.pool),
      addressesProvider: getAddress(provider),
      tokens: Object.fromEntries(
        layout.reserves.map((r) => [
          r.symbol.toUpperCase(),
          { address: getAddress(r.asset), decimals: r.decimals },
        ])
      ),
    })
    return layout
  }

  async #cometLayout(client: PublicClient, chainId: number, comet: Address, block: BlockRef) {
    const key = `${chainId}:${comet}`
    const cached = this.#cometLayouts.get(key)
    if (cached && Date.now() - cached.at < LAYOUT_TTL_MS) return cached.layout
    const layout = await readCometLayout(client, comet, block)
    this.#cometLayouts.set(key, { at: Date.now(), layout })
    registerMarket('compound_v3', chainId, {
      comet: getAddress(comet),
      base: layout.base.symbol.toUpperCase(),
      tokens: Object.fromEntries(
        [layout.base, ...layout.assets].map((t) => [
          t.symbol.toUpperCase(),
          { address: getAddress(t.asset), decimals: t.decimals },
        ])
      ),
    })
    return layout
  }

  /** Every read of the round, at `block`. Nothing is written here. */
  async #read(client: PublicClient, chainId: number, block: BlockRef, wallets: string[]) {
    const markets = this.markets(chainId)
    const previous = await previousSnapshots(chainId, wallets)
    const nowMs = Date.now()
    const heartbeatMs = this.#settings.heartbeatMinutes * 60_000
    const readings: ChainReading[] = []
    const decisions: Exclude<Decision, null>[] = []
    const addresses = wallets.map((w) => getAddress(w))

    if (markets.aave_v3 && wallets.length > 0) {
      const layout = await this.#aaveLayout(client, chainId, markets.aave_v3, block)
      const market = await readAavePrices(client, layout, block)
      const accounts = await readAaveAccounts(client, market.pool, addresses, block)
      const due: { index: number; decision: Exclude<Decision, null> }[] = []
      accounts.forEach((account, index) => {
        const decision = decideForHolders(
          previous.get(`${wallets[index]}:aave_v3`),
          aaveProbe(account),
          nowMs,
          heartbeatMs
        )
        if (decision) due.push({ index, decision })
      })
      if (due.length > 0) {
        const balances = await readAaveBalances(
          client,
          market,
          due.map(({ index }) => ({
            wallet: addresses[index],
            configuration: accounts[index].userConfiguration,
          })),
          block
        )
        due.forEach(({ index, decision }, i) => {
          readings.push(
            aaveReading(wallets[index], chainId, block, market, accounts[index], balances[i])
          )
          decisions.push(decision)
        })
      }
    }

    if (markets.compound_v3 && wallets.length > 0) {
      const layout = await this.#cometLayout(client, chainId, markets.compound_v3, block)
      const market = await readCometPrices(client, layout, block)
      const accounts = await readCometAccounts(client, market, addresses, block)
      accounts.forEach((account, index) => {
        const decision = decideForHolders(
          previous.get(`${wallets[index]}:compound_v3`),
          cometProbe(market, account),
          nowMs,
          heartbeatMs
        )
        if (!decision) return
        const reading = cometReading(wallets[index], chainId, block, market, account)
        // computed here, so a position the ingest could not compute never fails the round
        reading.healthFactor = computeHealthFactor(reading.collateral, reading.debt, 'compound_v3')
        readings.push(reading)
        decisions.push(decision)
      })
    }
    return { readings, decisions }
  }

  /**
   * Through the service ingest: one snapshot per holder of each wallet, its
   * owner first, in one set-based insert per batch (recordSnapshots) — so
   * fan-out and the alert rules reach every watcher with their own thresholds.
   */
  async #write(readings: ChainReading[], decisions: Exclude<Decision, null>[]) {
    const written: SyncResult['written'] = { new: 0, changed: 0, closed: 0, heartbeat: 0 }
    decisions.forEach((d) => written[d]++)
    const snapshotAt = DateTime.utc()
    const inputs: SnapshotInput[] = readings.map((r, i) => ({
      walletAddress: r.wallet,
      protocol: r.protocol,
      chainId: r.chainId,
      ...(r.healthFactor !== undefined ? { healthFactor: r.healthFactor } : {}),
      collateral: r.collateral,
      debt: r.debt,
      metadata: { ...r.metadata, syncReason: decisions[i] },
      snapshotAt,
    }))
    for (let i = 0; i < inputs.length; i += INGEST_BATCH) {
      // listedOnly: a wallet taken off every list since it was read gets no account
      await recordSnapshots(
        { kind: 'service', listedOnly: true },
        inputs.slice(i, i + INGEST_BATCH)
      )
    }
    return written
  }
}

/** Every wallet on anyone's list, once however many users hold it (docs/adr/0014). */
async function allWallets(): Promise<string[]> {
  const { rows } = await db.rawQuery('select distinct address from user_wallets order by address')
  return rows.map((r: { address: string }) => r.address)
}

/**
 * What the holders of each (wallet, protocol) on the chain have, for one
 * change decision per wallet however many users hold it (decideForHolders,
 * docs/adr/0014). Read from the current holders' position_heads (the newest
 * snapshot per position, kept by a trigger) — not a scan of the snapshots,
 * and not the heads of a user who removed the wallet — grouped by the
 * distinct newest snapshot (normally one per position: a chain snapshot goes
 * to every holder at once), each with its oldest head's instant. A position
 * some holder has no head for is `missing`; one nobody has is absent.
 */
async function previousSnapshots(
  chainId: number,
  wallets: string[]
): Promise<Map<string, HoldersPrevious>> {
  const { rows } = await db.rawQuery(
    `with holders as (
       select address, count(*)::int as holders
         from user_wallets where address = any(?::text[]) group by address
     ),
     heads as (
       select w.address, h.protocol, p.metadata->'chainProbe' as probe,
              (jsonb_array_length(p.collateral) = 0 and jsonb_array_length(p.debt) = 0) as empty,
              min(h.snapshot_at) as oldest_at, count(*)::int as heads
         from user_wallets w
         join position_heads h on h.user_id = w.user_id and h.wallet_address = w.address
         join positions p on p.id = h.snapshot_id
        where w.address = any(?::text[])
          and h.chain_id = ? and h.protocol in ('aave_v3', 'compound_v3')
        group by 1, 2, 3, 4
     )
     select heads.*, holders.holders from heads join holders using (address)`,
    [wallets, wallets, chainId]
  )
  const previous = new Map<string, HoldersPrevious & { heads: number; holders: number }>()
  for (const r of rows as {
    address: string
    protocol: string
    probe: PreviousSnapshot['probe']
    empty: boolean
    oldest_at: Date
    heads: number
    holders: number
  }[]) {
    const key = `${r.address}:${r.protocol}`
    const entry = previous.get(key) ?? {
      variants: [],
      missing: false,
      heads: 0,
      holders: r.holders,
    }
    entry.variants.push({
      snapshotAtMs: r.oldest_at.getTime(),
      empty: r.empty,
      probe: r.probe ?? null,
    })
    entry.heads += r.heads
    previous.set(key, entry)
  }
  for (const entry of previous.values()) entry.missing = entry.heads < entry.holders
  return previous
}

const chainSync = new ChainSync(chainConfig)
export default chainSync
