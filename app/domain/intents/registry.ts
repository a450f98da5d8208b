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
  const upper = symbol.toUpperCase()
  if (protocol === 'aave_v3') return AAVE_V3[chainId]?.tokens[upper] ?? null
  if (protocol === 'compound_v3') return COMPOUND_V3[chainId]?.tokens[upper] ?? null
  return null
}

export function supportsTransactions(protocol: string, chainId: number): boolean {
  if (protocol === 'aave_v3') return chainId in AAVE_V3
  if (protocol === 'compound_v3') return chainId in COMPOUND_V3
  return false
}
