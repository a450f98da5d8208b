import db from '@adonisjs/lucid/services/db'
import { chainName } from '#domain/alerts/messages'
import { DomainError } from '#domain/shared/errors'
import chainSync, { describeError } from '#services/chain/chain_sync'
import { latestPositions } from '#services/positions/read_positions'
import type { PositionRow } from '#infrastructure/database/queries/latest_positions'

export interface ChainStatus {
  chainId: number
  name: string
  enabled: boolean
  /** What is read on it: an Aave v3 PoolAddressesProvider, a Comet. */
  markets: { protocol: string; address: string }[]
  latestBlock: number | null
  latestBlockHash: string | null
  latestBlockAt: string | null
  /** Seconds between the newest block read and now: how old what the app shows is. */
  lagSeconds: number | null
  lastSuccessAt: string | null
  lastError: string | null
  lastErrorAt: string | null
  stale: boolean
}

interface StateRow {
  chain_id: number
  latest_block: string | null
  latest_block_hash: string | null
  latest_block_at: Date | null
  last_success_at: Date | null
  last_error: string | null
  last_error_at: Date | null
  created_at: Date
}

const iso = (d: Date | null) => (d ? d.toISOString() : null)

/**
 * Every configured chain (enabled) and every chain read before but no longer
 * configured (disabled), with what the last rounds did. A configured chain is
 * stale when no read has succeeded for CHAIN_STALE_MINUTES — counted from its
 * first attempt when none ever did; a chain no round has tried yet is not.
 */
export async function chainStatuses(now = new Date()): Promise<ChainStatus[]> {
  const { rows } = (await db.rawQuery('select * from chain_sync_state order by chain_id')) as {
    rows: StateRow[]
  }
  const byId = new Map(rows.map((r) => [r.chain_id, r]))
  const configured = chainSync.chains()
  const ids = [...new Set([...configured, ...byId.keys()])].sort((a, b) => a - b)
  const staleMs = chainSync.settings.staleMinutes * 60_000
  return ids.map((chainId) => {
    const row = byId.get(chainId)
    const enabled = configured.includes(chainId)
    const markets = enabled ? chainSync.markets(chainId) : {}
    const since = row ? (row.last_success_at ?? row.created_at) : null
    return {
      chainId,
      name: chainName(chainId),
      enabled,
      markets: Object.entries(markets).map(([protocol, address]) => ({
        protocol,
        address: address.toLowerCase(),
      })),
      latestBlock: row?.latest_block ? Number(row.latest_block) : null,
      latestBlockHash: row?.latest_block_hash ?? null,
      latestBlockAt: iso(row?.latest_block_at ?? null),
      lagSeconds: row?.latest_block_at
        ? Math.max(0, Math.round((now.getTime() - row.latest_block_at.getTime()) / 1000))
        : null,
      lastSuccessAt: iso(row?.last_success_at ?? null),
      lastError: row?.last_error ?? null,
      lastErrorAt: iso(row?.last_error_at ?? null),
      stale: enabled && since !== null && now.getTime() - since.getTime() > staleMs,
    }
  })
}

export interface UserSync {
  positions: PositionRow[]
  chains: { chainId: number; ok: boolean; blockNumber: string | null; error: string | null }[]
}

/**
 * "Sync now" for one user: every wallet on their list (proven and watched) on
 * every configured chain, then their latest positions. A chain that fails is
 * reported beside the others' fresh positions rather than failing the request.
 * A watched wallet's fresh snapshot reaches its other holders too (public
 * chain data, docs/adr/0014).
 */
export async function syncUser(user: { id: string }): Promise<UserSync> {
  const chainIds = chainSync.chains()
  if (chainIds.length === 0) {
    throw new DomainError(
      'E_FEATURE_DISABLED',
      'Chain sync is not configured on this server (CHAIN_RPC_URLS)'
    )
  }
  const { rows } = await db.rawQuery(
    'select address from user_wallets where user_id = ? order by address',
    [user.id]
  )
  const wallets = rows.map((r: { address: string }) => r.address)
  const chains: UserSync['chains'] = []
  for (const chainId of chainIds) {
    try {
      const result = await chainSync.syncChain(chainId, { wallets })
      chains.push({ chainId, ok: true, blockNumber: result.blockNumber, error: null })
    } catch (error) {
      chains.push({ chainId, ok: false, blockNumber: null, error: describeError(error) })
    }
  }
  return { positions: await latestPositions(user.id), chains }
}
