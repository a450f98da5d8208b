/**
 * Where a prepared transaction goes: Aave v3 Pool and token addresses and
 * decimals per chain, and Compound v3's USDC market on Ethereum. Addresses are
 * EIP-55 checksummed (a unit test checks every one: a typo fails the suite
 * instead of reaching a wallet). Sources: Aave's and Compound's address books.
 */
import type { Address } from 'viem'

export interface Token {
  address: Address
  decimals: number
}

export interface AaveMarket {
  pool: Address
  tokens: Record<string, Token>
}

export const AAVE_V3: Record<number, AaveMarket> = {
  1: {
    pool: '0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2',
    tokens: {
      USDT: { address: '0xdAC17F958D2ee523a2206206994597C13D831ec7', decimals: 6 },
      USDC: { address: '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48', decimals: 6 },
      DAI: { address: '0x6B175474E89094C44Da98b954EedeAC495271d0F', decimals: 18 },
      WETH: { address: '0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2', decimals: 18 },
      WBTC: { address: '0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599', decimals: 8 },
    },
  },
  10: {
    pool: '0x794a61358D6845594F94dc1DB02A252b5b4814aD',
    tokens: {
      USDT: { address: '0x94b008aA00579c1307B0EF2c499aD98a8ce58e58', decimals: 6 },
      USDC: { address: '0x0b2C639c533813f4Aa9D7837CAf62653d097Ff85', decimals: 6 },
      DAI: { address: '0xDA10009cBd5D07dd0CeCc66161FC93D7c9000da1', decimals: 18 },
      WETH: { address: '0x4200000000000000000000000000000000000006', decimals: 18 },
      WBTC: { address: '0x68f180fcCe6836688e9084f035309E29Bf0A2095', decimals: 8 },
    },
  },
  137: {
    pool: '0x794a61358D6845594F94dc1DB02A252b5b4814aD',
    tokens: {
      USDT: { address: '0xc2132D05D31c914a87C6611C10748AEb04B58e8F', decimals: 6 },
      USDC: { address: '0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359', decimals: 6 },
      DAI: { address: '0x8f3Cf7ad23Cd3CaDbD9735AFf958023239c6A063', decimals: 18 },
      WETH: { address: '0x7ceB23fD6bC0adD59E62ac25578270cFf1b9f619', decimals: 18 },
      WBTC: { address: '0x1BFD67037B42Cf73acF2047067bd4F2C47D9BfD6', decimals: 8 },
    },
  },
  42161: {
    pool: '0x794a61358D6845594F94dc1DB02A252b5b4814aD',
    tokens: {
      USDT: { address: '0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9', decimals: 6 },
      USDC: { address: '0xaf88d065e77c8cC2239327C5EDb3A432268e5831', decimals: 6 },
      DAI: { address: '0xDA10009cBd5D07dd0CeCc66161FC93D7c9000da1', decimals: 18 },
      WETH: { address: '0x82aF49447D8a07e3bd95BD0d56f35241523fBab1', decimals: 18 },
      WBTC: { address: '0x2f2a2543B76A4166549F7aaB2e75Bef0aefC5B0f', decimals: 8 },
    },
  },
  8453: {
    pool: '0xA238Dd80C259a72e81d7e4664a9801593F98d1c5',
    tokens: {
      USDC: { address: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913', decimals: 6 },
      WETH: { address: '0x4200000000000000000000000000000000000006', decimals: 18 },
    },
  },
}

export interface CometMarket {
  comet: Address
  /** The borrowable asset: supplying it repays debt. */
  base: string
  tokens: Record<string, Token>
}

/** Compound v3 markets, by chain: the USDC market (cUSDCv3) on Ethereum. */
export const COMPOUND_V3: Record<number, CometMarket> = {
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
