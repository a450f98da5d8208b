/**
 * The two chain variables (DESIGN §8), parsed. A malformed value is a boot
 * error with the offending part quoted: a typo must not silently turn chain
 * sync off, which would look like safety.
 */

export type ChainProtocol = 'aave_v3' | 'compound_v3'
const PROTOCOLS: readonly ChainProtocol[] = ['aave_v3', 'compound_v3']

export class ChainConfigError extends Error {}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/

function chainIdOf(text: string, variable: string): number {
  const id = Number(text.trim())
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new ChainConfigError(`${variable}: "${text}" is not a chain id`)
  }
  return id
}

/** `1=https://a,https://b;8453=https://c` → { 1: [a, b], 8453: [c] }. Empty → {}. */
export function parseRpcUrls(value: string | undefined): Map<number, string[]> {
  const chains = new Map<number, string[]>()
  for (const part of (value ?? '').split(';')) {
    if (part.trim() === '') continue
    const at = part.indexOf('=')
    if (at < 0) throw new ChainConfigError(`CHAIN_RPC_URLS: "${part}" has no "=" (chainId=url,…)`)
    const chainId = chainIdOf(part.slice(0, at), 'CHAIN_RPC_URLS')
    const urls = part
      .slice(at + 1)
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u !== '')
    for (const url of urls) {
      let parsed: URL
      try {
        parsed = new URL(url)
      } catch {
        throw new ChainConfigError(`CHAIN_RPC_URLS: "${url}" (chain ${chainId}) is not a URL`)
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        throw new ChainConfigError(
          `CHAIN_RPC_URLS: "${url}" (chain ${chainId}) must be http(s): sync reads over HTTP JSON-RPC`
        )
      }
    }
    if (urls.length === 0) throw new ChainConfigError(`CHAIN_RPC_URLS: chain ${chainId} has no URL`)
    if (chains.has(chainId)) throw new ChainConfigError(`CHAIN_RPC_URLS: chain ${chainId} twice`)
    chains.set(chainId, urls)
  }
  return chains
}

export type MarketAddresses = Partial<Record<ChainProtocol, `0x${string}`>>

/**
 * `31337:aave_v3=<PoolAddressesProvider>,compound_v3=<Comet>;…` → per chain,
 * the market entry points. Aave is named by its PoolAddressesProvider
 * (everything else is read from it), Compound v3 by its Comet.
 */
export function parseMarkets(value: string | undefined): Map<number, MarketAddresses> {
  const chains = new Map<number, MarketAddresses>()
  for (const part of (value ?? '').split(';')) {
    if (part.trim() === '') continue
    const at = part.indexOf(':')
    if (at < 0) {
      throw new ChainConfigError(
        `CHAIN_MARKETS: "${part}" has no ":" (chainId:aave_v3=0x…,compound_v3=0x…)`
      )
    }
    const chainId = chainIdOf(part.slice(0, at), 'CHAIN_MARKETS')
    const markets: MarketAddresses = {}
    for (const entry of part.slice(at + 1).split(',')) {
      if (entry.trim() === '') continue
      const [name, address, ...rest] = entry.split('=').map((s) => s.trim())
      if (!PROTOCOLS.includes(name as ChainProtocol) || rest.length > 0) {
        throw new ChainConfigError(
          `CHAIN_MARKETS: "${entry}" (chain ${chainId}) must be aave_v3=0x… or compound_v3=0x…`
        )
      }
      if (!address || !ADDRESS.test(address)) {
        throw new ChainConfigError(
          `CHAIN_MARKETS: "${address ?? ''}" (${name}, chain ${chainId}) is not an address`
        )
      }
      markets[name as ChainProtocol] = address as `0x${string}`
    }
    chains.set(chainId, { ...chains.get(chainId), ...markets })
  }
  return chains
}
