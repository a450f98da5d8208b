import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  http,
  maxUint256,
  parseAbi,
  parseUnits,
  stringToHex,
  zeroAddress,
  type Abi,
  type Account,
  type Address,
  type Hex,
} from 'viem'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { privateKeyToAccount } from 'viem/accounts'
import { aaveArtifact, linkBytecode, type AaveContract } from './aave_artifacts.js'
import { cometArtifacts } from './comet_build.js'

/** Canonical Multicall3 address: the app always calls it there (DESIGN §8). */
export const MULTICALL3: Address = '0xcA11bde05977b3631167028862bE2a173976CA11'

/** Hardhat's account #0: public key, local chain only. */
const DEPLOYER_KEY: Hex = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'

/**
 * Multicall3's creation code, as viem ships it for its deployless multicall.
 * viem does not export the constant, so it is read from viem's own file: the
 * same bytes the canonical deployment has, without a download.
 */
function multicall3Bytecode(): Hex {
  const viemRoot = dirname(createRequire(import.meta.url).resolve('viem/package.json'))
  const source = readFileSync(join(viemRoot, '_esm/constants/contracts.js'), 'utf8')
  const match = /multicall3Bytecode\s*=\s*'(0x[0-9a-f]+)'/.exec(source)
  if (!match) throw new Error("viem's Multicall3 bytecode was not found")
  return match[1] as Hex
}

const RAY = 10n ** 27n
const ray = (fraction: string) => (BigInt(Math.round(Number(fraction) * 1e6)) * RAY) / 1_000_000n
const usd8 = (price: string) => parseUnits(price, 8)

export const ERC20_ABI = parseAbi([
  'function approve(address spender, uint256 amount) returns (bool)',
  'function balanceOf(address) view returns (uint256)',
  'function mint(address account, uint256 value) returns (bool)',
  'function allocateTo(address owner, uint256 value)',
])

export const POOL_ABI = parseAbi([
  'function supply(address asset, uint256 amount, address onBehalfOf, uint16 referralCode)',
  'function borrow(address asset, uint256 amount, uint256 interestRateMode, uint16 referralCode, address onBehalfOf)',
  'function getUserAccountData(address user) view returns (uint256 totalCollateralBase, uint256 totalDebtBase, uint256 availableBorrowsBase, uint256 currentLiquidationThreshold, uint256 ltv, uint256 healthFactor)',
])

export const COMET_TEST_ABI = parseAbi([
  'function supply(address asset, uint256 amount)',
  'function withdraw(address asset, uint256 amount)',
  'function borrowBalanceOf(address account) view returns (uint256)',
  'function collateralBalanceOf(address account, address asset) view returns (uint128)',
])

export interface AaveDeployment {
  addressesProvider: Address
  pool: Address
  configurator: Address
  oracle: Address
  dataProvider: Address
  uiPoolDataProvider: Address
  weth: Address
  usdc: Address
}

export interface CometDeployment {
  comet: Address
  weth: Address
  usdc: Address
  wethFeed: Address
  usdcFeed: Address
}

export interface Positions {
  /** WETH supplied, USDC borrowed (decimal strings). */
  supplyWeth: string
  borrowUsdc: string
}

/**
 * Deploys onto a running local node what the chain tests read: Multicall3 at
 * its canonical address, a real Aave v3 market (WETH, USDC) from the npm
 * artifacts, and a real Comet (USDC base, WETH collateral) from solc.
 * Prices start at WETH $2000, USDC $1.
 */
export class LocalMarkets {
  readonly chain
  readonly public
  readonly test
  readonly wallet
  readonly deployer: Account
  aave!: AaveDeployment
  comet!: CometDeployment

  constructor(
    readonly url: string,
    readonly chainId = 31337
  ) {
    this.chain = defineChain({
      id: chainId,
      name: 'Local test chain',
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [url] } },
    })
    const transport = http(url, { timeout: 60_000 })
    this.public = createPublicClient({ chain: this.chain, transport, pollingInterval: 20 })
    this.test = createTestClient({ chain: this.chain, transport, mode: 'hardhat' })
    this.wallet = createWalletClient({ chain: this.chain, transport })
    this.deployer = privateKeyToAccount(DEPLOYER_KEY)
  }

  async #confirm(hash: Hex) {
    const receipt = await this.public.waitForTransactionReceipt({ hash, pollingInterval: 20 })
    if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`)
    return receipt
  }

  async deploy(abi: Abi, bytecode: Hex, args: unknown[] = []): Promise<Address> {
    const hash = await this.wallet.deployContract({
      abi,
      bytecode,
      args,
      account: this.deployer,
      chain: this.chain,
    })
    return (await this.#confirm(hash)).contractAddress!
  }

  async send(
    address: Address,
    abi: Abi,
    functionName: string,
    args: unknown[],
    account: Account = this.deployer
  ) {
    const gas = await this.public.estimateContractGas({
      address,
      abi,
      functionName,
      args,
      account,
    })
    const hash = await this.wallet.writeContract({
      address,
      abi,
      functionName,
      args,
      account,
      chain: this.chain,
      // a fresh estimate can fall short once interest has accrued a block later
      gas: (gas * 13n) / 10n,
    })
    return this.#confirm(hash)
  }

  read(address: Address, abi: Abi, functionName: string, args: unknown[] = []) {
    return this.public.readContract({ address, abi, functionName, args })
  }

  async #deployAave(
    name: AaveContract,
    args: unknown[] = [],
    libraries: Record<string, Address> = {}
  ) {
    const artifact = aaveArtifact(name)
    return this.deploy(artifact.abi, linkBytecode(artifact, libraries), args)
  }

  async installMulticall3() {
    const hash = await this.wallet.sendTransaction({
      data: multicall3Bytecode(),
      account: this.deployer,
      chain: this.chain,
    })
    const { contractAddress } = await this.#confirm(hash)
    const code = await this.public.getCode({ address: contractAddress! })
    await this.test.setCode({ address: MULTICALL3, bytecode: code! })
  }

  async deployAave(): Promise<AaveDeployment> {
    const me = this.deployer.address
    const abi = (name: AaveContract) => aaveArtifact(name).abi
    const provider = await this.#deployAave('PoolAddressesProvider', ['Local', me])
    // ACL admin first: ACLManager's constructor refuses a provider without one ('75')
    await this.send(provider, abi('PoolAddressesProvider'), 'setACLAdmin', [me])
    const acl = await this.#deployAave('ACLManager', [provider])
    await this.send(provider, abi('PoolAddressesProvider'), 'setACLManager', [acl])
    await this.send(acl, abi('ACLManager'), 'addPoolAdmin', [me])
    await this.send(acl, abi('ACLManager'), 'addAssetListingAdmin', [me])

    const libraries: Record<string, Address> = {}
    for (const name of [
      'SupplyLogic',
      'BorrowLogic',
      'LiquidationLogic',
      'EModeLogic',
      'BridgeLogic',
      'PoolLogic',
      'ConfiguratorLogic',
    ] as const) {
      libraries[name] = await this.#deployAave(name)
    }
    libraries.FlashLoanLogic = await this.#deployAave('FlashLoanLogic', [], libraries)
    const poolImpl = await this.#deployAave('Pool', [provider], libraries)
    await this.send(provider, abi('PoolAddressesProvider'), 'setPoolImpl', [poolImpl])
    const pool = (await this.read(provider, abi('PoolAddressesProvider'), 'getPool')) as Address
    const configuratorImpl = await this.#deployAave('PoolConfigurator', [], libraries)
    await this.send(provider, abi('PoolAddressesProvider'), 'setPoolConfiguratorImpl', [
      configuratorImpl,
    ])
    const configurator = (await this.read(
      provider,
      abi('PoolAddressesProvider'),
      'getPoolConfigurator'
    )) as Address

    const weth = await this.#deployAave('MintableERC20', ['Wrapped Ether', 'WETH', 18])
    const usdc = await this.#deployAave('MintableERC20', ['USD Coin', 'USDC', 6])
    const wethFeed = await this.#deployAave('MockAggregator', [usd8('2000')])
    const usdcFeed = await this.#deployAave('MockAggregator', [usd8('1')])
    // base currency USD: address 0, unit 1e8
    const oracle = await this.#deployAave('AaveOracle', [
      provider,
      [weth, usdc],
      [wethFeed, usdcFeed],
      zeroAddress,
      zeroAddress,
      10n ** 8n,
    ])
    await this.send(provider, abi('PoolAddressesProvider'), 'setPriceOracle', [oracle])
    const dataProvider = await this.#deployAave('AaveProtocolDataProvider', [provider])
    await this.send(provider, abi('PoolAddressesProvider'), 'setPoolDataProvider', [dataProvider])
    const usdFeed = await this.#deployAave('MockAggregator', [usd8('1')])
    const uiPoolDataProvider = await this.#deployAave('UiPoolDataProviderV3', [usdFeed, usdFeed])

    // token implementations bound to the Pool proxy, not its implementation
    const aToken = await this.#deployAave('AToken', [pool])
    const stableDebt = await this.#deployAave('StableDebtToken', [pool])
    const variableDebt = await this.#deployAave('VariableDebtToken', [pool])
    const strategy = await this.#deployAave('DefaultReserveInterestRateStrategy', [
      provider,
      ray('0.8'),
      0n,
      ray('0.04'),
      ray('0.75'),
      ray('0.02'),
      ray('0.75'),
      ray('0.02'),
      ray('0.05'),
      ray('0.2'),
    ])
    const reserve = (asset: Address, decimals: number, symbol: string) => ({
      aTokenImpl: aToken,
      stableDebtTokenImpl: stableDebt,
      variableDebtTokenImpl: variableDebt,
      underlyingAssetDecimals: decimals,
      interestRateStrategyAddress: strategy,
      underlyingAsset: asset,
      treasury: me,
      incentivesController: zeroAddress,
      aTokenName: `Aave Local ${symbol}`,
      aTokenSymbol: `aLoc${symbol}`,
      variableDebtTokenName: `Aave Local Variable Debt ${symbol}`,
      variableDebtTokenSymbol: `variableDebtLoc${symbol}`,
      stableDebtTokenName: `Aave Local Stable Debt ${symbol}`,
      stableDebtTokenSymbol: `stableDebtLoc${symbol}`,
      params: '0x',
    })
    const configuratorAbi = abi('PoolConfigurator')
    await this.send(configurator, configuratorAbi, 'initReserves', [
      [reserve(weth, 18, 'WETH'), reserve(usdc, 6, 'USDC')],
    ])
    // reserves start with LT 0 and borrowing off
    await this.send(configurator, configuratorAbi, 'configureReserveAsCollateral', [
      weth,
      8000n,
      8250n,
      10500n,
    ])
    await this.send(configurator, configuratorAbi, 'configureReserveAsCollateral', [
      usdc,
      7700n,
      8000n,
      10450n,
    ])
    for (const asset of [weth, usdc]) {
      await this.send(configurator, configuratorAbi, 'setReserveBorrowing', [asset, true])
      await this.send(configurator, configuratorAbi, 'setReserveFactor', [asset, 1000n])
    }

    // liquidity to borrow from
    await this.send(usdc, ERC20_ABI, 'mint', [me, parseUnits('100000000', 6)])
    await this.send(usdc, ERC20_ABI, 'approve', [pool, maxUint256])
    await this.send(pool, POOL_ABI, 'supply', [usdc, parseUnits('100000000', 6), me, 0])

    this.aave = {
      addressesProvider: provider,
      pool,
      configurator,
      oracle,
      dataProvider,
      uiPoolDataProvider,
      weth,
      usdc,
    }
    return this.aave
  }

  async deployComet(): Promise<CometDeployment> {
    const artifacts = cometArtifacts()
    const me = this.deployer.address
    const usdc = await this.deploy(artifacts.FaucetToken.abi, artifacts.FaucetToken.bytecode, [
      0n,
      'USD Coin',
      6,
      'USDC',
    ])
    const weth = await this.deploy(artifacts.FaucetToken.abi, artifacts.FaucetToken.bytecode, [
      0n,
      'Wrapped Ether',
      18,
      'WETH',
    ])
    const usdcFeed = await this.deploy(
      artifacts.SimplePriceFeed.abi,
      artifacts.SimplePriceFeed.bytecode,
      [usd8('1'), 8]
    )
    const wethFeed = await this.deploy(
      artifacts.SimplePriceFeed.abi,
      artifacts.SimplePriceFeed.bytecode,
      [usd8('2000'), 8]
    )
    const ext = await this.deploy(artifacts.CometExt.abi, artifacts.CometExt.bytecode, [
      {
        name32: stringToHex('Compound USDC', { size: 32 }),
        symbol32: stringToHex('cUSDCv3', { size: 32 }),
      },
    ])
    const e18 = (x: string) => parseUnits(x, 18)
    const comet = await this.deploy(artifacts.Comet.abi, artifacts.Comet.bytecode, [
      {
        governor: me,
        pauseGuardian: me,
        baseToken: usdc,
        baseTokenPriceFeed: usdcFeed,
        extensionDelegate: ext,
        supplyKink: e18('0.8'),
        supplyPerYearInterestRateSlopeLow: e18('0.03'),
        supplyPerYearInterestRateSlopeHigh: e18('0.4'),
        supplyPerYearInterestRateBase: 0n,
        borrowKink: e18('0.8'),
        borrowPerYearInterestRateSlopeLow: e18('0.04'),
        borrowPerYearInterestRateSlopeHigh: e18('0.5'),
        borrowPerYearInterestRateBase: e18('0.01'),
        storeFrontPriceFactor: e18('0.5'),
        trackingIndexScale: 10n ** 15n,
        baseTrackingSupplySpeed: 0n,
        baseTrackingBorrowSpeed: 0n,
        baseMinForRewards: parseUnits('1000', 6),
        baseBorrowMin: parseUnits('1', 6),
        targetReserves: 0n,
        assetConfigs: [
          {
            asset: weth,
            priceFeed: wethFeed,
            decimals: 18,
            borrowCollateralFactor: e18('0.8'),
            liquidateCollateralFactor: e18('0.85'),
            liquidationFactor: e18('0.93'),
            supplyCap: e18('1000000'),
          },
        ],
      },
    ])
    await this.send(comet, artifacts.Comet.abi, 'initializeStorage', [])
    // liquidity to borrow from
    await this.send(usdc, artifacts.FaucetToken.abi, 'allocateTo', [
      comet,
      parseUnits('100000000', 6),
    ])
    this.comet = { comet, weth, usdc, wethFeed, usdcFeed }
    return this.comet
  }

  async fund(account: Address) {
    await this.test.setBalance({ address: account, value: parseUnits('100', 18) })
  }

  /** Supplies WETH and borrows USDC on Aave from `account`. */
  async openAave(account: Account, position: Positions) {
    const { pool, weth, usdc } = this.aave
    await this.fund(account.address)
    const amount = parseUnits(position.supplyWeth, 18)
    await this.send(weth, ERC20_ABI, 'mint', [account.address, amount])
    await this.send(weth, ERC20_ABI, 'approve', [pool, maxUint256], account)
    await this.send(pool, POOL_ABI, 'supply', [weth, amount, account.address, 0], account)
    if (position.borrowUsdc !== '0') {
      await this.send(
        pool,
        POOL_ABI,
        'borrow',
        [usdc, parseUnits(position.borrowUsdc, 6), 2n, 0, account.address],
        account
      )
    }
  }

  /** Supplies WETH and borrows USDC on Comet from `account`. */
  async openComet(account: Account, position: Positions) {
    const { comet, weth, usdc } = this.comet
    await this.fund(account.address)
    const amount = parseUnits(position.supplyWeth, 18)
    await this.send(weth, ERC20_ABI, 'allocateTo', [account.address, amount])
    await this.send(weth, ERC20_ABI, 'approve', [comet, maxUint256], account)
    await this.send(comet, COMET_TEST_ABI, 'supply', [weth, amount], account)
    if (position.borrowUsdc !== '0') {
      await this.send(
        comet,
        COMET_TEST_ABI,
        'withdraw',
        [usdc, parseUnits(position.borrowUsdc, 6)],
        account
      )
    }
  }

  /**
   * Moves WETH's price on both markets. MockAggregator has no setter: Aave
   * gets a new feed; Comet's SimplePriceFeed takes new round data.
   */
  async setWethPrice(price: string) {
    const feed = await this.#deployAave('MockAggregator', [usd8(price)])
    await this.send(this.aave.oracle, aaveArtifact('AaveOracle').abi, 'setAssetSources', [
      [this.aave.weth],
      [feed],
    ])
    const { timestamp } = await this.public.getBlock()
    await this.send(this.comet.wethFeed, cometArtifacts().SimplePriceFeed.abi, 'setRoundData', [
      1n,
      usd8(price),
      timestamp,
      timestamp,
      1n,
    ])
  }
}

/** Everything deployed: Multicall3, Aave v3, Comet. */
export async function deployLocalMarkets(url: string, chainId = 31337) {
  const markets = new LocalMarkets(url, chainId)
  await markets.installMulticall3()
  await markets.deployAave()
  await markets.deployComet()
  return markets
}
