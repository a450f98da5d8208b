import logger from '@adonisjs/core/services/logger'
import {
  createPublicClient,
  defineChain,
  fallback,
  http,
  type Abi,
  type Address,
  type PublicClient,
} from 'viem'

/** Canonical Multicall3, on every chain (a local test chain gets it with hardhat_setCode). */
export const MULTICALL3: Address = '0xcA11bde05977b3631167028862bE2a173976CA11'

export class ChainUnavailableError extends Error {}

/** Where an endpoint is, without the path or query that usually carry its API key. */
export function redactUrl(url: string): string {
  try {
    const { protocol, host, pathname } = new URL(url)
    return `${protocol}//${host}${pathname === '/' ? '' : '/…'}`
  } catch {
    return '(unparseable URL)'
  }
}

async function chainIdAt(url: string, timeoutMs: number): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    signal: AbortSignal.timeout(timeoutMs),
  })
  const body = (await response.json()) as { result?: unknown }
  if (typeof body.result !== 'string' || !/^0x[0-9a-f]+$/i.test(body.result)) {
    throw new Error(`eth_chainId answered ${JSON.stringify(body).slice(0, 200)}`)
  }
  return Number(BigInt(body.result))
}

export interface EndpointOptions {
  timeoutMs: number
  retryCount: number
}

/**
 * The JSON-RPC endpoints of one chain. Each must answer `eth_chainId` with
 * its chain before it is used: one answering for another chain is refused for
 * the life of the process (a copy-pasted URL would otherwise write another
 * chain's balances as this one's). One that cannot be reached is asked again
 * next time. Reads go through viem's `fallback`: the next endpoint takes over
 * when one fails; each retries with backoff (429, 5xx, timeouts) first.
 */
export class ChainEndpoints {
  #verified = new Set<string>()
  #refused = new Set<string>()
  #client: PublicClient | null = null
  #clientFor = ''
  /** eth_call requests sent (what `pnpm bench sync` counts). */
  ethCalls = 0

  constructor(
    readonly chainId: number,
    readonly urls: string[],
    readonly options: EndpointOptions = { timeoutMs: 10_000, retryCount: 3 }
  ) {}

  /** Endpoints refused for answering another chain. */
  get refused(): string[] {
    return [...this.#refused]
  }

  async verify(): Promise<void> {
    await Promise.all(
      this.urls
        .filter((url) => !this.#verified.has(url) && !this.#refused.has(url))
        .map(async (url) => {
          try {
            const answered = await chainIdAt(url, this.options.timeoutMs)
            if (answered === this.chainId) {
              this.#verified.add(url)
            } else {
              this.#refused.add(url)
              logger.error(
                `chain sync: refused ${redactUrl(url)} for chain ${this.chainId}: its eth_chainId is ${answered}`
              )
            }
          } catch (error) {
            logger.warn(
              { err: error },
              `chain sync: ${redactUrl(url)} (chain ${this.chainId}) did not answer eth_chainId; asked again next round`
            )
          }
        })
    )
  }

  /** A client over the verified endpoints, in configured order. */
  async client(): Promise<PublicClient> {
    await this.verify()
    const usable = this.urls.filter((url) => this.#verified.has(url))
    if (usable.length === 0) {
      throw new ChainUnavailableError(
        this.#refused.size === this.urls.length
          ? `every endpoint of chain ${this.chainId} answers for another chain`
          : `no endpoint of chain ${this.chainId} answered`
      )
    }
    const key = usable.join(' ')
    if (this.#client && this.#clientFor === key) return this.#client
    const count: typeof fetch = async (input, init) => {
      if (typeof init?.body === 'string' && init.body.includes('"eth_call"')) this.ethCalls++
      return fetch(input, init)
    }
    const transports = usable.map((url) =>
      http(url, {
        timeout: this.options.timeoutMs,
        retryCount: this.options.retryCount,
        retryDelay: 250,
        fetchFn: count,
      })
    )
    const chain = defineChain({
      id: this.chainId,
      name: `chain ${this.chainId}`,
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: usable } },
      contracts: { multicall3: { address: MULTICALL3 } },
    })
    this.#client = createPublicClient({
      chain,
      transport: transports.length === 1 ? transports[0] : fallback(transports, { rank: false }),
    }) as PublicClient
    this.#clientFor = key
    return this.#client
  }
}

export interface Call {
  address: Address
  abi: Abi
  functionName: string
  args?: readonly unknown[]
}

/**
 * Many view calls in as few `eth_call`s as Multicall3 allows, all at one
 * block. Any failed call fails the whole read: a half-read position must
 * never become a snapshot.
 */
export async function multicall(
  client: PublicClient,
  calls: Call[],
  blockNumber: bigint,
  callsPerRequest: number
): Promise<unknown[]> {
  const results: unknown[] = []
  for (let i = 0; i < calls.length; i += callsPerRequest) {
    const chunk = calls.slice(i, i + callsPerRequest)
    const answers = await client.multicall({
      contracts: chunk as any,
      allowFailure: false,
      blockNumber,
      multicallAddress: MULTICALL3,
      // one eth_call per chunk: viem's own byte-size batching would split it
      batchSize: 0,
    })
    results.push(...(answers as unknown[]))
  }
  return results
}
