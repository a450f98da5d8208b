import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { formatUnits, maxUint256, parseAbi, type Address, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import env from '#start/env'
import chainConfig from '#config/chain'
import chainSync from '#services/chain/chain_sync'
import SyncChainJob from '#jobs/sync_chain_job'
import { startChainNode, type ChainNode } from '#tests/helpers/chain/node'
import {
  deployLocalMarkets,
  ERC20_ABI,
  POOL_ABI,
  type LocalMarkets,
} from '#tests/helpers/chain/deploy'
import { RpcProxy } from '#tests/helpers/chain/rpc_proxy'
import { aaveArtifact } from '#tests/helpers/chain/aave_artifacts'
import { signIn } from '#tests/helpers/auth'
import { truncateAll } from '#tests/helpers/database'

const CHAIN = 31337
const DATA_PROVIDER_ABI = parseAbi([
  'function getReserveTokensAddresses(address asset) view returns (address aTokenAddress, address stableDebtTokenAddress, address variableDebtTokenAddress)',
])
const COMET_ABI = parseAbi([
  'function borrowBalanceOf(address account) view returns (uint256)',
  'function collateralBalanceOf(address account, address asset) view returns (uint128)',
])

interface Snapshot {
  id: string
  protocol: string
  health_factor: string | null
  collateral: { symbol: string; amount: string; priceUsd?: string; liquidationThreshold?: string }[]
  debt: { symbol: string; amount: string }[]
  metadata: Record<string, any>
  snapshot_at: Date
}

async function snapshots(wallet: string, protocol: string): Promise<Snapshot[]> {
  return db
    .from('positions')
    .where({ wallet_address: wallet.toLowerCase(), protocol, chain_id: CHAIN })
    .orderBy('snapshot_at', 'desc')
}

/** Stored numerics come back as text with trailing zeros: compare them as decimals. */
const decimal = (value: string | null) =>
  value === null ? null : value.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '')

test.group(
  'Chain sync | the real Aave v3 and Comet on a local chain, over HTTP JSON-RPC',
  (group) => {
    let node: ChainNode
    let markets: LocalMarkets
    let proxy: RpcProxy
    let wallet: PrivateKeyAccount
    let token: string

    group.setup(async () => {
      await truncateAll()
      node = await startChainNode()
      markets = await deployLocalMarkets(node.url)
      proxy = await new RpcProxy(node.url).start()
      chainSync.configure({
        rpcUrls: new Map([[CHAIN, [proxy.url]]]),
        markets: new Map([
          [CHAIN, { aave_v3: markets.aave.addressesProvider, compound_v3: markets.comet.comet }],
        ]),
        rpcTimeoutMs: 5_000,
      })
      return async () => {
        chainSync.configure(chainConfig)
        await proxy.stop()
        await node.stop()
        await truncateAll()
      }
    })
    group.each.timeout(120_000)

    test('the synced health factor is the Pool’s to the wei, the assets are the chain’s, the block is recorded', async ({
      assert,
      client,
    }) => {
      wallet = privateKeyToAccount(generatePrivateKey())
      ;({ token } = await signIn(client, wallet))
      await markets.openAave(wallet, { supplyWeth: '10', borrowUsdc: '10000' })
      await markets.openComet(wallet, { supplyWeth: '10', borrowUsdc: '10000' })

      const result = await chainSync.syncChain(CHAIN)
      assert.deepEqual(result.written, { new: 2, changed: 0, closed: 0, heartbeat: 0 })
      const block = BigInt(result.blockNumber)

      const [aave] = await snapshots(wallet.address, 'aave_v3')
      const account = (await markets.public.readContract({
        address: markets.aave.pool,
        abi: POOL_ABI,
        functionName: 'getUserAccountData',
        args: [wallet.address],
        blockNumber: block,
      })) as readonly bigint[]
      assert.equal(decimal(aave.health_factor), decimal(formatUnits(account[5], 18)))
      assert.equal(aave.metadata.blockNumber, result.blockNumber)
      const onChainBlock = await markets.public.getBlock({ blockNumber: block })
      assert.equal(aave.metadata.blockHash, onChainBlock.hash)
      assert.isUndefined(aave.metadata.computedHealthFactor, 'our own math agrees with the Pool')

      const [, , variableDebt] = (await markets.public.readContract({
        address: markets.aave.dataProvider,
        abi: DATA_PROVIDER_ABI,
        functionName: 'getReserveTokensAddresses',
        args: [markets.aave.usdc],
      })) as readonly Address[]
      const owed = await markets.public.readContract({
        address: variableDebt,
        abi: ERC20_ABI,
        functionName: 'balanceOf',
        args: [wallet.address],
        blockNumber: block,
      })
      assert.deepEqual(
        aave.collateral.map((a) => [a.symbol, a.amount, a.priceUsd, a.liquidationThreshold]),
        [['WETH', '10', '2000', '0.825']]
      )
      assert.deepEqual(
        aave.debt.map((a) => [a.symbol, a.amount]),
        [['USDC', formatUnits(owed, 6)]]
      )

      // the data provider and oracle reads agree with Aave's own UI data provider
      const [reserves] = (await markets.public.readContract({
        address: markets.aave.uiPoolDataProvider,
        abi: aaveArtifact('UiPoolDataProviderV3').abi,
        functionName: 'getReservesData',
        args: [markets.aave.addressesProvider],
        blockNumber: block,
      })) as readonly [
        readonly {
          underlyingAsset: Address
          decimals: bigint
          reserveLiquidationThreshold: bigint
          priceInMarketReferenceCurrency: bigint
        }[],
        unknown,
      ]
      const ui = reserves.find(
        (r) => r.underlyingAsset.toLowerCase() === markets.aave.weth.toLowerCase()
      )!
      assert.deepEqual(
        [
          formatUnits(ui.priceInMarketReferenceCurrency, 8),
          formatUnits(ui.reserveLiquidationThreshold, 4),
        ],
        [aave.collateral[0].priceUsd, aave.collateral[0].liquidationThreshold]
      )

      const [comet] = await snapshots(wallet.address, 'compound_v3')
      const borrow = await markets.public.readContract({
        address: markets.comet.comet,
        abi: COMET_ABI,
        functionName: 'borrowBalanceOf',
        args: [wallet.address],
        blockNumber: block,
      })
      assert.deepEqual(
        comet.collateral.map((a) => [a.symbol, a.amount, a.priceUsd, a.liquidationThreshold]),
        [['WETH', '10', '2000', '0.85']]
      )
      assert.deepEqual(
        comet.debt.map((a) => [a.symbol, a.amount]),
        [['USDC', formatUnits(borrow, 6)]]
      )
      // Σ collateral × price × liquidateCollateralFactor ÷ borrow × price
      const expected = (10n * 2000n * 85n * 10n ** 18n * 10n ** 6n) / (100n * borrow)
      assert.equal(
        decimal(comet.health_factor)!.slice(0, 12),
        formatUnits(expected, 18).slice(0, 12)
      )

      // nothing moved: a second round writes nothing
      const again = await chainSync.syncChain(CHAIN)
      assert.deepEqual(again.written, { new: 0, changed: 0, closed: 0, heartbeat: 0 })
      assert.lengthOf(await snapshots(wallet.address, 'aave_v3'), 1)
    })

    test('GET /chains says the block read and no error; /health/ready reports the chain fresh', async ({
      assert,
      client,
    }) => {
      const response = await client.get('/api/v1/chains').bearerToken(token)
      response.assertStatus(200)
      const [chain] = response.body().data
      assert.include(chain, { chainId: CHAIN, enabled: true, stale: false, lastError: null })
      assert.isAbove(chain.latestBlock, 0)
      assert.deepEqual(chain.markets, [
        { protocol: 'aave_v3', address: markets.aave.addressesProvider.toLowerCase() },
        { protocol: 'compound_v3', address: markets.comet.comet.toLowerCase() },
      ])
      const ready = await client.get('/health/ready')
      ready.assertStatus(200)
      assert.include(ready.body().checks[`chain:${CHAIN}`], { ok: true })
    })

    test('a repay intent on each fires when WETH falls; the health-factor alert arrives within one round; the prepared transactions, signed and sent, raise the health factor', async ({
      assert,
      client,
    }) => {
      for (const [protocol, asset] of [
        ['aave_v3', 'USDC'],
        ['compound_v3', 'USDC'],
      ]) {
        const created = await client
          .post('/api/v1/intents')
          .bearerToken(token)
          .json({
            name: `${protocol} rescue`,
            protocol,
            chainId: CHAIN,
            condition: { metric: 'health_factor', operator: 'lt', value: '1.45' },
            action: { type: 'repay', asset, amount: '1000' },
          })
        created.assertStatus(201)
      }

      await markets.setWethPrice('1700')
      // the job, as the worker runs it on schedule
      const job = new SyncChainJob()
      job.$hydrate({ chainId: CHAIN }, {} as any)
      await job.execute()

      const [aave] = await snapshots(wallet.address, 'aave_v3')
      assert.equal(aave.metadata.syncReason, 'changed')
      assert.equal(aave.collateral[0].priceUsd, '1700')
      const account = (await markets.read(markets.aave.pool, POOL_ABI, 'getUserAccountData', [
        wallet.address,
      ])) as bigint[]
      assert.equal(decimal(aave.health_factor), decimal(formatUnits(account[5], 18)))
      assert.isBelow(Number(aave.health_factor), 1.45)

      const alerts = await db
        .from('alerts')
        .join('users', 'users.id', 'alerts.user_id')
        .where('users.wallet_address', wallet.address.toLowerCase())
        .where('alerts.channel', 'in_app')
        .select('alerts.type', 'alerts.message', 'alerts.status')
      const low = alerts.filter((a) => a.type === 'health_factor_low')
      assert.lengthOf(low, 2, 'one per position')
      assert.isTrue(low.every((a) => a.status === 'sent'))
      assert.isTrue(low.some((a) => a.message.startsWith('Aave v3 on')))

      const executions = await db
        .from('intent_executions')
        .join('intents', 'intents.id', 'intent_executions.intent_id')
        .select('intents.protocol', 'intent_executions.transaction')
      assert.lengthOf(executions, 2)
      const triggered = alerts.filter((a) => a.type === 'intent_triggered')
      assert.lengthOf(triggered, 2)
      assert.isTrue(triggered.every((a) => a.message.includes('ERC-20 approval')))

      for (const { protocol, transaction } of executions) {
        const tx = transaction as { to: Address; data: Hex; chainId: number }
        assert.equal(tx.chainId, CHAIN)
        const spender = protocol === 'aave_v3' ? markets.aave.pool : markets.comet.comet
        assert.equal(tx.to.toLowerCase(), spender.toLowerCase())
        const usdc = protocol === 'aave_v3' ? markets.aave.usdc : markets.comet.usdc
        // the approval the alert tells the user to give
        await markets.send(usdc, ERC20_ABI, 'approve', [spender, maxUint256], wallet)
        const before = await healthOf(protocol)
        const hash = await markets.wallet.sendTransaction({
          account: wallet,
          chain: markets.chain,
          to: tx.to,
          data: tx.data,
        })
        const receipt = await markets.public.waitForTransactionReceipt({
          hash,
          pollingInterval: 20,
        })
        assert.equal(receipt.status, 'success', `${protocol}: the prepared transaction succeeds`)
        assert.isAbove(await healthOf(protocol), before, `${protocol}: it raises the health factor`)
      }

      const after = await chainSync.syncChain(CHAIN)
      assert.equal(after.written.changed, 2, 'the repayments show in the next round')
      const [repaid] = await snapshots(wallet.address, 'aave_v3')
      assert.isAbove(Number(repaid.health_factor), Number(aave.health_factor))

      async function healthOf(protocol: string): Promise<number> {
        if (protocol === 'aave_v3') {
          const data = (await markets.read(markets.aave.pool, POOL_ABI, 'getUserAccountData', [
            wallet.address,
          ])) as bigint[]
          return Number(formatUnits(data[5], 18))
        }
        const owedNow = (await markets.read(markets.comet.comet, COMET_ABI, 'borrowBalanceOf', [
          wallet.address,
        ])) as bigint
        return 1 / Number(owedNow)
      }
    })

    test('POST /positions/sync reads the caller’s wallet now and answers the fresh positions', async ({
      assert,
      client,
    }) => {
      await markets.setWethPrice('1800')
      const response = await client.post('/api/v1/positions/sync').bearerToken(token)
      response.assertStatus(200)
      const body = response.body()
      assert.deepEqual(
        body.meta.chains.map((c: { chainId: number; ok: boolean }) => [c.chainId, c.ok]),
        [[CHAIN, true]]
      )
      const aave = body.data.find((p: { protocol: string }) => p.protocol === 'aave_v3')
      assert.equal(aave.collateral[0].priceUsd, '1800')
    })

    test('POST /positions/sync has its own budget per user: past it, 429 with Retry-After', async ({
      assert,
      client,
    }) => {
      env.set('RATE_LIMIT_SYNC_PER_MINUTE', 1)
      try {
        const other = privateKeyToAccount(generatePrivateKey())
        const { token: otherToken } = await signIn(client, other)
        const first = await client.post('/api/v1/positions/sync').bearerToken(otherToken)
        first.assertStatus(200)
        assert.deepEqual(first.body().data, [], 'a wallet with nothing on chain has no position')
        const second = await client.post('/api/v1/positions/sync').bearerToken(otherToken)
        second.assertStatus(429)
        assert.isDefined(second.header('retry-after'))
      } finally {
        env.set('RATE_LIMIT_SYNC_PER_MINUTE', 1_000_000)
      }
    })

    test('a position closed on chain gets a final empty snapshot', async ({ assert }) => {
      const closer = privateKeyToAccount(generatePrivateKey())
      await db.table('users').insert({ wallet_address: closer.address.toLowerCase() })
      await markets.openAave(closer, { supplyWeth: '1', borrowUsdc: '0' })
      await chainSync.syncChain(CHAIN)
      assert.lengthOf(await snapshots(closer.address, 'aave_v3'), 1)

      await markets.send(
        markets.aave.pool,
        parseAbi([
          'function withdraw(address asset, uint256 amount, address to) returns (uint256)',
        ]),
        'withdraw',
        [markets.aave.weth, maxUint256, closer.address],
        closer
      )
      const result = await chainSync.syncChain(CHAIN)
      assert.equal(result.written.closed, 1)
      const [last] = await snapshots(closer.address, 'aave_v3')
      assert.deepEqual([last.collateral, last.debt, last.health_factor], [[], [], null])
      // and then it stays quiet
      const quiet = await chainSync.syncChain(CHAIN)
      assert.equal(quiet.written.closed + quiet.written.new, 0)
    })

    test('two rounds at once on one chain (sync now during the scheduled round) write a new position once', async ({
      assert,
    }) => {
      const twice = privateKeyToAccount(generatePrivateKey())
      await db.table('users').insert({ wallet_address: twice.address.toLowerCase() })
      await markets.openAave(twice, { supplyWeth: '1', borrowUsdc: '0' })
      const [first, second] = await Promise.all([
        chainSync.syncChain(CHAIN),
        chainSync.syncChain(CHAIN, { wallets: [twice.address] }),
      ])
      assert.equal(first.written.new + second.written.new, 1)
      assert.lengthOf(await snapshots(twice.address, 'aave_v3'), 1)
    })

    test('429s and garbage answers are retried or fail the round; nothing wrong is written', async ({
      assert,
    }) => {
      const count = async () => Number((await db.from('positions').count('* as n'))[0].n)
      const before = await count()
      await markets.setWethPrice('1750')

      // a short burst of rate limiting is retried with backoff inside the round
      proxy.mode = 'rate-limited'
      proxy.modeBudget = 2
      const retried = await chainSync.syncChain(CHAIN)
      assert.isAbove(retried.written.changed, 0)
      const afterRetry = await count()

      // an endpoint answering nonsense fails the round: no snapshot at all
      await markets.setWethPrice('1760')
      proxy.mode = 'garbage'
      await assert.rejects(() => chainSync.syncChain(CHAIN))
      proxy.mode = 'pass'
      assert.equal(await count(), afterRetry)
      assert.isAbove(afterRetry, before)
      const [state] = await db.from('chain_sync_state').where('chain_id', CHAIN)
      assert.isString(state.last_error)
      assert.notInclude(state.last_error, `127.0.0.1:${proxy.port}/`)
    })

    test('the endpoint killed mid-round: no partial snapshot, the stale alert after the threshold, recovery when it returns', async ({
      assert,
      client,
    }) => {
      const count = async () => Number((await db.from('positions').count('* as n'))[0].n)
      await markets.setWethPrice('1650')
      const before = await count()

      // dies after the round's first reads (block, layout, prices), before the wallets' balances
      proxy.downAfterEthCalls = (proxy.received.eth_call ?? 0) + 2
      await assert.rejects(() => chainSync.syncChain(CHAIN))
      assert.equal(await count(), before, 'nothing written from a round that did not finish')

      // within CHAIN_STALE_MINUTES: an error, no alert yet
      const staleAlerts = () => db.from('alerts').where('type', 'chain_stale')
      assert.lengthOf(await staleAlerts(), 0)

      // ten minutes later (moved back in the database rather than waited for)
      await db.rawQuery(
        `update chain_sync_state set last_success_at = now() - interval '11 minutes' where chain_id = ?`,
        [CHAIN]
      )
      await assert.rejects(() => chainSync.syncChain(CHAIN))
      const alerts = await staleAlerts()
      assert.isAtLeast(alerts.length, 1)
      assert.match(
        alerts[0].message,
        /^Positions on .* not updated since \d{4}-\d\d-\d\d \d\d:\d\d UTC/
      )
      assert.isTrue(alerts.every((a) => a.channel === 'in_app' && a.status === 'sent'))
      const users = new Set(alerts.map((a) => a.user_id))
      assert.equal(users.size, alerts.length, 'one per affected user')

      const ready = await client.get('/health/ready')
      ready.assertStatus(200)
      assert.include(ready.body().checks[`chain:${CHAIN}`], { ok: false })
      assert.match(ready.body().checks[`chain:${CHAIN}`].message, /^stale/)
      const chains = await client.get('/api/v1/chains').bearerToken(token)
      assert.include(chains.body().data[0], { stale: true })

      // still down: no second alert for the same outage
      await assert.rejects(() => chainSync.syncChain(CHAIN))
      assert.lengthOf(await staleAlerts(), alerts.length)

      // back
      proxy.mode = 'pass'
      const recovered = await chainSync.syncChain(CHAIN)
      assert.isAbove(recovered.written.changed, 0)
      const [state] = await db.from('chain_sync_state').where('chain_id', CHAIN)
      assert.isNull(state.last_error)
      assert.isNull(state.stale_alerted_at)
      const fresh = await client.get('/api/v1/chains').bearerToken(token)
      assert.include(fresh.body().data[0], { stale: false, lastError: null })
    })

    test('a node answering for another chain is refused; the right one beside it still serves', async ({
      assert,
    }) => {
      const impostor = await startChainNode({ chainId: 1 })
      try {
        chainSync.configure({ rpcUrls: new Map([[CHAIN, [impostor.url]]]) })
        await assert.rejects(
          () => chainSync.syncChain(CHAIN),
          /every endpoint of chain 31337 answers for another chain/
        )
        assert.deepEqual(chainSync.endpoints(CHAIN).refused, [impostor.url])

        chainSync.configure({ rpcUrls: new Map([[CHAIN, [impostor.url, proxy.url]]]) })
        await markets.setWethPrice('1640')
        const result = await chainSync.syncChain(CHAIN)
        assert.isAbove(result.written.changed, 0)
      } finally {
        chainSync.configure({ rpcUrls: new Map([[CHAIN, [proxy.url]]]) })
        await impostor.stop()
      }
    })
  }
)
