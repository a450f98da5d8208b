import { zeroAddress, type Address, type PublicClient } from 'viem'
import {
  isBorrowing,
  type AaveAccount,
  type AaveBalance,
  type AaveMarketState,
  type AaveReserve,
  type BlockRef,
  type CometAccount,
  type CometMarketState,
} from '#domain/chain/readings'
import {
  AAVE_DATA_PROVIDER_ABI,
  AAVE_ORACLE_ABI,
  AAVE_POOL_ABI,
  ADDRESSES_PROVIDER_ABI,
  COMET_READ_ABI,
  ERC20_READ_ABI,
} from './abis.js'
import { multicall, type Call } from './client.js'

/**
 * The RPC half of chain sync: which contracts to ask, batched through
 * Multicall3 at one block. What the answers mean is app/domain/chain.
 */

/** Wallets per eth_call for the cheap per-wallet reads (2 to 3 calls each, ~40k gas). */
export const WALLETS_PER_REQUEST = 250
/** Calls per eth_call for balance reads (~10k gas each): well under a node's 50M gas cap. */
const CALLS_PER_REQUEST = 1_000

export async function latestBlock(client: PublicClient): Promise<BlockRef> {
  const block = await client.getBlock({ blockTag: 'latest' })
  if (block.number === null || block.hash === null)
    throw new Error('the latest block has no number')
  return { number: block.number, hash: block.hash, timestamp: block.timestamp }
}

/** Static facts of an Aave market (what changes only by governance): cached by the caller. */
export interface AaveMarketLayout {
  pool: Address
  oracle: Address
  baseUnit: bigint
  reserves: Omit<AaveReserve, 'price'>[]
}

export async function readAaveLayout(
  client: PublicClient,
  addressesProvider: Address,
  block: BlockRef
): Promise<AaveMarketLayout> {
  const [pool, oracle, dataProvider] = (await multicall(
    client,
    (['getPool', 'getPriceOracle', 'getPoolDataProvider'] as const).map((functionName) => ({
      address: addressesProvider,
      abi: ADDRESSES_PROVIDER_ABI,
      functionName,
    })),
    block.number,
    CALLS_PER_REQUEST
  )) as Address[]
  const [list, tokens, baseUnit] = (await multicall(
    client,
    [
      { address: pool, abi: AAVE_POOL_ABI, functionName: 'getReservesList' },
      { address: dataProvider, abi: AAVE_DATA_PROVIDER_ABI, functionName: 'getAllReservesTokens' },
      { address: oracle, abi: AAVE_ORACLE_ABI, functionName: 'BASE_CURRENCY_UNIT' },
    ],
    block.number,
    CALLS_PER_REQUEST
  )) as [Address[], { symbol: string; tokenAddress: Address }[], bigint]
  const symbols = new Map(tokens.map((t) => [t.tokenAddress.toLowerCase(), t.symbol]))
  const details = await multicall(
    client,
    list.flatMap((asset) => [
      {
        address: dataProvider,
        abi: AAVE_DATA_PROVIDER_ABI,
        functionName: 'getReserveConfigurationData',
        args: [asset],
      },
      {
        address: dataProvider,
        abi: AAVE_DATA_PROVIDER_ABI,
        functionName: 'getReserveTokensAddresses',
        args: [asset],
      },
    ]),
    block.number,
    CALLS_PER_REQUEST
  )
  const reserves = list.map((asset, id) => {
    const config = details[id * 2] as readonly [bigint, bigint, bigint, ...unknown[]]
    const [aToken, stableDebtToken, variableDebtToken] = details[id * 2 + 1] as readonly [
      Address,
      Address,
      Address,
    ]
    return {
      id,
      asset,
      symbol: symbols.get(asset.toLowerCase()) ?? asset,
      decimals: Number(config[0]),
      liquidationThresholdBps: config[2],
      aToken,
      variableDebtToken,
      stableDebtToken: stableDebtToken === zeroAddress ? null : stableDebtToken,
    }
  })
  return { pool, oracle, baseUnit, reserves }
}

/** The market at this block: its layout with the oracle's current prices. */
export async function readAavePrices(
  client: PublicClient,
  layout: AaveMarketLayout,
  block: BlockRef
): Promise<AaveMarketState> {
  const [prices] = (await multicall(
    client,
    [
      {
        address: layout.oracle,
        abi: AAVE_ORACLE_ABI,
        functionName: 'getAssetsPrices',
        args: [layout.reserves.map((r) => r.asset)],
      },
    ],
    block.number,
    CALLS_PER_REQUEST
  )) as [bigint[]]
  if (prices.length !== layout.reserves.length)
    throw new Error('the oracle answered a short price list')
  return {
    pool: layout.pool,
    baseUnit: layout.baseUnit,
    reserves: layout.reserves.map((r, i) => ({ ...r, price: prices[i] })),
  }
}

/** Pool.getUserAccountData and getUserConfiguration for every wallet: 2 calls each. */
export async function readAaveAccounts(
  client: PublicClient,
  pool: Address,
  wallets: Address[],
  block: BlockRef
): Promise<AaveAccount[]> {
  const calls: Call[] = wallets.flatMap((wallet) => [
    { address: pool, abi: AAVE_POOL_ABI, functionName: 'getUserAccountData', args: [wallet] },
    { address: pool, abi: AAVE_POOL_ABI, functionName: 'getUserConfiguration', args: [wallet] },
  ])
  const answers = await multicall(client, calls, block.number, WALLETS_PER_REQUEST * 2)
  return wallets.map((_, i) => {
    const data = answers[i * 2] as readonly bigint[]
    const configuration = answers[i * 2 + 1] as { data: bigint }
    return {
      totalCollateralBase: data[0],
      totalDebtBase: data[1],
      healthFactor: data[5],
      userConfiguration: configuration.data,
    }
  })
}

/**
 * Balances with accrued interest, per wallet and reserve: every aToken (a
 * supply need not be collateral), and the debt tokens of the reserves the
 * wallet borrows (its configuration says which).
 */
export async function readAaveBalances(
  client: PublicClient,
  market: AaveMarketState,
  wallets: { wallet: Address; configuration: bigint }[],
  block: BlockRef
): Promise<AaveBalance[][]> {
  const calls: Call[] = []
  const slots: { wallet: number; reserve: number; kind: keyof AaveBalance }[] = []
  wallets.forEach(({ wallet, configuration }, w) => {
    for (const [r, reserve] of market.reserves.entries()) {
      calls.push({
        address: reserve.aToken,
        abi: ERC20_READ_ABI,
        functionName: 'balanceOf',
        args: [wallet],
      })
      slots.push({ wallet: w, reserve: r, kind: 'supplied' })
      if (!isBorrowing(configuration, reserve.id)) continue
      calls.push({
        address: reserve.variableDebtToken,
        abi: ERC20_READ_ABI,
        functionName: 'balanceOf',
        args: [wallet],
      })
      slots.push({ wallet: w, reserve: r, kind: 'variableDebt' })
      if (reserve.stableDebtToken) {
        calls.push({
          address: reserve.stableDebtToken,
          abi: ERC20_READ_ABI,
          functionName: 'balanceOf',
          args: [wallet],
        })
        slots.push({ wallet: w, reserve: r, kind: 'stableDebt' })
      }
    }
  })
  const answers = await multicall(client, calls, block.number, CALLS_PER_REQUEST)
  const balances = wallets.map(() =>
    market.reserves.map(() => ({ supplied: 0n, variableDebt: 0n, stableDebt: 0n }))
  )
  slots.forEach((slot, i) => {
    balances[slot.wallet][slot.reserve][slot.kind] = answers[i] as bigint
  })
  return balances
}

export interface CometLayout {
  comet: Address
  base: { asset: Address; symbol: string; decimals: number; priceFeed: Address }
  assets: {
    asset: Address
    symbol: string
    decimals: number
    priceFeed: Address
    liquidateCollateralFactor: bigint
  }[]
}

export async function readCometLayout(
  client: PublicClient,
  comet: Address,
  block: BlockRef
): Promise<CometLayout> {
  const [baseToken, baseFeed, count] = (await multicall(
    client,
    (['baseToken', 'baseTokenPriceFeed', 'numAssets'] as const).map((functionName) => ({
      address: comet,
      abi: COMET_READ_ABI,
      functionName,
    })),
    block.number,
    CALLS_PER_REQUEST
  )) as [Address, Address, number]
  const infos = (await multicall(
    client,
    Array.from({ length: count }, (_, i) => ({
      address: comet,
      abi: COMET_READ_ABI,
      functionName: 'getAssetInfo',
      args: [i],
    })),
    block.number,
    CALLS_PER_REQUEST
  )) as {
    asset: Address
    priceFeed: Address
    scale: bigint
    liquidateCollateralFactor: bigint
  }[]
  const tokens = [baseToken, ...infos.map((info) => info.asset)]
  const meta = await multicall(
    client,
    tokens.flatMap((address) => [
      { address, abi: ERC20_READ_ABI, functionName: 'symbol' },
      { address, abi: ERC20_READ_ABI, functionName: 'decimals' },
    ]),
    block.number,
    CALLS_PER_REQUEST
  )
  return {
    comet,
    base: {
      asset: baseToken,
      symbol: meta[0] as string,
      decimals: Number(meta[1]),
      priceFeed: baseFeed,
    },
    assets: infos.map((info, i) => ({
      asset: info.asset,
      symbol: meta[(i + 1) * 2] as string,
      decimals: Number(meta[(i + 1) * 2 + 1]),
      priceFeed: info.priceFeed,
      liquidateCollateralFactor: info.liquidateCollateralFactor,
    })),
  }
}

export async function readCometPrices(
  client: PublicClient,
  layout: CometLayout,
  block: BlockRef
): Promise<CometMarketState> {
  const prices = (await multicall(
    client,
    [layout.base.priceFeed, ...layout.assets.map((a) => a.priceFeed)].map((feed) => ({
      address: layout.comet,
      abi: COMET_READ_ABI,
      functionName: 'getPrice',
      args: [feed],
    })),
    block.number,
    CALLS_PER_REQUEST
  )) as bigint[]
  return {
    comet: layout.comet,
    base: { ...layout.base, price: prices[0] },
    assets: layout.assets.map((a, i) => ({ ...a, price: prices[i + 1] })),
  }
}

/** borrowBalanceOf, balanceOf and each collateral balance, per wallet. */
export async function readCometAccounts(
  client: PublicClient,
  market: CometMarketState,
  wallets: Address[],
  block: BlockRef
): Promise<CometAccount[]> {
  const perWallet = 2 + market.assets.length
  const calls: Call[] = wallets.flatMap((wallet) => [
    { address: market.comet, abi: COMET_READ_ABI, functionName: 'borrowBalanceOf', args: [wallet] },
    { address: market.comet, abi: COMET_READ_ABI, functionName: 'balanceOf', args: [wallet] },
    ...market.assets.map((a) => ({
      address: market.comet,
      abi: COMET_READ_ABI,
      functionName: 'collateralBalanceOf',
      args: [wallet, a.asset],
    })),
  ])
  const answers = (await multicall(
    client,
    calls,
    block.number,
    WALLETS_PER_REQUEST * perWallet
  )) as bigint[]
  return wallets.map((_, i) => ({
    borrow: answers[i * perWallet],
    supplied: answers[i * perWallet + 1],
    collateral: market.assets.map((_a, j) => answers[i * perWallet + 2 + j]),
  }))
}
