import { encodeFunctionData, maxUint256, parseAbi, parseUnits, type Address, type Hex } from 'viem'
import { AAVE_V3, COMPOUND_V3, type Token } from './registry.js'

export const AAVE_V3_POOL_ABI = parseAbi([
  'function supply(address asset, uint256 amount, address onBehalfOf, uint16 referralCode)',
  'function withdraw(address asset, uint256 amount, address to) returns (uint256)',
  'function repay(address asset, uint256 amount, uint256 interestRateMode, address onBehalfOf) returns (uint256)',
])

export const COMET_ABI = parseAbi([
  'function supply(address asset, uint256 amount)',
  'function withdraw(address asset, uint256 amount)',
])

/** Aave v3's variable rate mode: stable-rate debt no longer exists on v3 markets. */
const VARIABLE_RATE = 2n

export interface IntentAction {
  type: 'repay' | 'supply' | 'withdraw' | 'notify'
  asset: string
  amount: string
}

/** Unsigned: the user's wallet signs and sends it. */
export interface PreparedTransaction {
  chainId: number
  to: Address
  data: Hex
  value: '0'
  /** What it does, in words, for the alert and the dashboard. */
  description: string
}

export type Preparation =
  { transaction: PreparedTransaction; note: null } | { transaction: null; note: string }

/**
 * Repaying and supplying pull the token from the wallet: the contract must be
 * allowed to first, or the signed transaction reverts. Said in the
 * description, which the alert quotes.
 */
function approvalNote(action: IntentAction, symbol: string, token: Token, spender: Address) {
  if (action.type !== 'repay' && action.type !== 'supply') return ''
  const amount = action.amount === 'max' ? 'the amount' : `${action.amount} ${symbol}`
  return `. It needs an ERC-20 approval first: approve ${spender} to spend ${amount} of ${symbol} (${token.address})`
}

function amountIn(amount: string, decimals: number): bigint {
  // "max" is uint256 max: Aave repays the whole debt / withdraws everything; Comet likewise.
  return amount === 'max' ? maxUint256 : parseUnits(amount, decimals)
}

/** Whether `amount` of a token with `decimals` fits the uint256 the contracts take. */
export function fitsUint256(amount: string, decimals: number): boolean {
  return amountIn(amount, decimals) <= maxUint256
}

/**
 * Runs inside the ingest transaction: a throw there would fail the whole
 * snapshot batch, every user's, on every retry. An amount past uint256
 * (refused when the intent is written, but stored before that check) is a note.
 */
const tooLarge = (what: string): Preparation => ({
  transaction: null,
  note: `${what}: the amount is larger than a uint256 can hold`,
})

/**
 * Encodes the call an intent's action needs, for the user's wallet to sign:
 * Aave v3 Pool `repay`/`supply`/`withdraw`, or Compound v3 Comet
 * `supply`/`withdraw` (repaying on Comet is supplying the base asset).
 */
export function prepareTransaction(
  protocol: string,
  chainId: number,
  wallet: Address,
  action: IntentAction
): Preparation {
  if (action.type === 'notify') return { transaction: null, note: 'notify only: nothing to sign' }
  const symbol = action.asset.toUpperCase()
  const what = `${action.type} ${action.amount === 'max' ? 'all' : action.amount} ${symbol}`

  if (protocol === 'aave_v3' && AAVE_V3[chainId]) {
    const market = AAVE_V3[chainId]
    const token = market.tokens[symbol]
    if (!token)
      return {
        transaction: null,
        note: `${symbol} is not in the Aave v3 registry for chain ${chainId}`,
      }
    const amount = amountIn(action.amount, token.decimals)
    if (amount > maxUint256) return tooLarge(what)
    const data =
      action.type === 'repay'
        ? encodeFunctionData({
            abi: AAVE_V3_POOL_ABI,
            functionName: 'repay',
            args: [token.address, amount, VARIABLE_RATE, wallet],
          })
        : action.type === 'supply'
          ? encodeFunctionData({
              abi: AAVE_V3_POOL_ABI,
              functionName: 'supply',
              args: [token.address, amount, wallet, 0],
            })
          : encodeFunctionData({
              abi: AAVE_V3_POOL_ABI,
              functionName: 'withdraw',
              args: [token.address, amount, wallet],
            })
    return {
      transaction: {
        chainId,
        to: market.pool,
        data,
        value: '0',
        description: `Aave v3 Pool: ${what}${action.type === 'withdraw' ? '' : ` on behalf of ${wallet}`}${approvalNote(action, symbol, token, market.pool)}`,
      },
      note: null,
    }
  }

  if (protocol === 'compound_v3' && COMPOUND_V3[chainId]) {
    const market = COMPOUND_V3[chainId]
    const token = market.tokens[symbol]
    if (!token)
      return {
        transaction: null,
        note: `${symbol} is not in the Compound v3 registry for chain ${chainId}`,
      }
    if (action.type === 'repay' && symbol !== market.base) {
      return {
        transaction: null,
        note: `Compound v3 debt is in ${market.base}: ${symbol} cannot repay it`,
      }
    }
    const amount = amountIn(action.amount, token.decimals)
    if (amount > maxUint256) return tooLarge(what)
    const functionName = action.type === 'withdraw' ? 'withdraw' : 'supply'
    return {
      transaction: {
        chainId,
        to: market.comet,
        data: encodeFunctionData({ abi: COMET_ABI, functionName, args: [token.address, amount] }),
        value: '0',
        description: `Compound v3 (${market.base} market): ${what}${approvalNote(action, symbol, token, market.comet)}`,
      },
      note: null,
    }
  }

  return {
    transaction: null,
    note: `no transaction can be prepared for ${protocol} on chain ${chainId}`,
  }
}
