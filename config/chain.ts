import env from '#start/env'
import { parseMarkets, parseRpcUrls } from '#domain/chain/config'

/**
 * Chain sync (DESIGN §5b, §8). Without CHAIN_RPC_URLS it is off and nothing
 * else changes. A malformed variable stops the boot with the part quoted.
 */
const chain = {
  rpcUrls: parseRpcUrls(env.get('CHAIN_RPC_URLS')),
  markets: parseMarkets(env.get('CHAIN_MARKETS')),
  /** Seconds between sync rounds of one chain. */
  syncIntervalSeconds: env.get('CHAIN_SYNC_INTERVAL', 60),
  /** Minutes without a successful read before a chain is stale and its users are told. */
  staleMinutes: env.get('CHAIN_STALE_MINUTES', 10),
  /** A position that did not change still gets a snapshot this often. */
  heartbeatMinutes: env.get('CHAIN_HEARTBEAT_MINUTES', 60),
  /** One JSON-RPC request's time limit (each is retried with backoff before an endpoint fails over). */
  rpcTimeoutMs: env.get('CHAIN_RPC_TIMEOUT_MS', 10_000),
}

export type ChainSettings = typeof chain
export default chain
