/**
 * Where a prepared transaction goes: Aave v3 Pool and token addresses and
 * decimals per chain — from Aave's own address book (`@bgd-labs/aave-address-book`),
 * not copied by hand — and Compound v3's USDC market on Ethereum. Markets of
 * chains the book does not know (a local chain, a fork) are added at run time
 * by chain sync, which reads them from the chain (`registerMarket`).
 * Addresses are EIP-55 checksummed (a unit test checks every one).
 */
import {
  AaveV3Arbitrum,
  AaveV3Base,
  AaveV3Ethereum,
  AaveV3Optimism,
  AaveV3Polygon,
} from '@bgd-labs/aave-address-book'
import type { Address } from 'viem'

export interface Token {
  address: Address
  decimals: number
}

export interface AaveMarket {
  pool: Address
  tokens: Record<string, Token>
  /** What chain sync reads the market through. */
  addressesProvider?: Address
}

interface BookMarket {
  CHAIN_ID: number
  POOL: string
  POOL_ADDRESSES_PROVIDER: string
  ASSETS: Record<string, { UNDERLYING: string; decimals: number }>
}

/**
 * The book names assets as the market does (upper-cased here, as intents'
 * symbols are). Where a chain has both the native and a bridged USDC (USDT),
 * the book calls the native one USDCn (USDT0); a user who says USDC means the
 * native one, so it takes the plain name and the bridged one is USDC.E.
 */
function fromBook(book: BookMarket): AaveMarket {
  const tokens: Record<string, Token> = {}
  for (const [symbol, asset] of Object.entries(book.ASSETS)) {
    tokens[symbol.toUpperCase()] = {
      address: asset.UNDERLYING as Address,
      decimals: asset.decimals,
    }
  }
  for (const [native, plain] of [
    ['USDCN', 'USDC'],
    ['USDT0', 'USDT'],
  ]) {
    if (!tokens[native]) continue
    if (tokens[plain]) tokens[`${plain}.E`] = tokens[plain]
    tokens[plain] = tokens[native]
    delete tokens[native]
  }
  return {
    pool: book.POOL as Address,
    addressesProvider: book.POOL_ADDRESSES_PROVIDER as Address,
    tokens,
  }
}

/** The core Aave v3 market of each chain the product supports. */
export const AAVE_V3: Record<number, AaveMarket> = Object.fromEntries(
  [AaveV3Ethereum, AaveV3Optimism, AaveV3Polygon, AaveV3Arbitrum, AaveV3Base].map((book) => [
    book.CHAIN_ID,
    fromBook(book as unknown as BookMarket),
  ])
)

export interface CometMarket {
  comet: Address
  /** The borrowable asset: supplying it repays debt. */
  base: string
  tokens: Record<string, Token>
}

/** Compound v3 markets, by chain: the USDC market (cUSDCv3) on Ethereum. */
const STATIC_COMPOUND_V3: Record<number, CometMarket> = {
  1: {
    comet: '0xc3d688B66703497DAA19211EEdff47f25384cdc3',
    base: 'USDC',
    tokens: {
      USDC: { address: '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48', decimals: 6 },
      WETH: { address: '0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2', decimals: 18 },
      WBTC: { address: '0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599', decimals: 8 },
    },
  },
}

export const COMPOUND_V3: Record<number, CometMarket> = { ...STATIC_COMPOUND_V3 }

/**
 * A market read from a chain the address book does not know (CHAIN_MARKETS):
 * from then on intents on it can be prepared like any other. The book's
 * markets are never replaced.
 */
export function registerMarket(
  protocol: 'aave_v3' | 'compound_v3',
  chainId: number,
  market: AaveMarket | CometMarket
) {
  if (protocol === 'aave_v3') {
    if (!BOOK_CHAINS.has(chainId)) AAVE_V3[chainId] = market as AaveMarket
  } else if (!Object.hasOwn(STATIC_COMPOUND_V3, chainId)) {
    COMPOUND_V3[chainId] = market as CometMarket
  }
}

const BOOK_CHAINS = new Set(Object.keys(AAVE_V3).map(Number))

/** Forgets the markets read from chains (chain sync reconfigured: another chain, or none). */
export function forgetRegisteredMarkets() {
  for (const chainId of Object.keys(AAVE_V3).map(Number)) {
    if (!BOOK_CHAINS.has(chainId)) delete AAVE_V3[chainId]
  }
  for (const chainId of Object.keys(COMPOUND_V3).map(Number)) {
    if (!Object.hasOwn(STATIC_COMPOUND_V3, chainId)) delete COMPOUND_V3[chainId]
  }
}

/** The token an intent names, if this protocol and chain know it (symbols are case-insensitive). */
export function knownToken(protocol: string, chainId: number, symbol: string): Token | null {
  return marketOf(protocol, chainId)?.tokens[symbol.toUpperCase()] ?? null
}

const MARKETS: Record<
  string,
  { label: string; byChain: Record<number, { tokens: Record<string, Token>; base?: string }> }
> = {
  aave_v3: { label: 'Aave v3', byChain: AAVE_V3 },
  compound_v3: { label: 'Compound v3', byChain: COMPOUND_V3 },
}

function marketOf(protocol: string, chainId: number) {
  return Object.hasOwn(MARKETS, protocol) && Object.hasOwn(MARKETS[protocol].byChain, chainId)
    ? MARKETS[protocol].byChain[chainId]
    : null
}

export interface ActionProblem {
  /** The request path of the input to change. */
  field: 'protocol' | 'chainId' | 'action.asset'
  message: string
}

/**
 * Why no transaction could ever be prepared for this action, or null when the
 * registry has a market for it. Saying so when the intent is written, with
 * what is supported, beats an execution on every risky snapshot that only
 * says "no transaction can be prepared". `notify` prepares no transaction, so
 * any protocol, chain and asset will do (an alert on a position whose market
 * we cannot transact on is still worth having). Amounts are checked apart:
 * they depend on the token's decimals.
 */
export function unpreparable(
  protocol: string,
  chainId: number,
  action: { type: string; asset: string }
): ActionProblem | null {
  if (action.type === 'notify') return null
  if (!Object.hasOwn(MARKETS, protocol)) {
    return {
      field: 'protocol',
      message: `No transaction can be prepared for ${protocol}: the protocols with markets are ${Object.keys(MARKETS).join(' and ')}; a notify action takes any protocol`,
    }
  }
  const { label, byChain } = MARKETS[protocol]
  const market = marketOf(protocol, chainId)
  if (!market) {
    return {
      field: 'chainId',
      message: `${label} has no market on chain ${chainId} here: its chains are ${Object.keys(byChain).join(', ')}`,
    }
  }
  const symbol = action.asset.toUpperCase()
  const assets = Object.keys(market.tokens).join(', ')
  if (!Object.hasOwn(market.tokens, symbol)) {
    return {
      field: 'action.asset',
      message: `${action.asset} is not an asset of the ${label} market on chain ${chainId}: its assets are ${assets}`,
    }
  }
  // Comet lends one asset: repaying is supplying it; supplying collateral repays nothing.
  if (action.type === 'repay' && market.base && symbol !== market.base) {
    return {
      field: 'action.asset',
      message: `${label} debt on chain ${chainId} is in ${market.base}: only ${market.base} can repay it`,
    }
  }
  return null
}
