import { test } from '@japa/runner'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { startChainNode, type ChainNode } from '#tests/helpers/chain/node'
import {
  COMET_TEST_ABI,
  deployLocalMarkets,
  MULTICALL3,
  POOL_ABI,
  type LocalMarkets,
} from '#tests/helpers/chain/deploy'

test.group('Local chain | the real Aave v3 and Comet on a Hardhat node', (group) => {
  let node: ChainNode
  let markets: LocalMarkets
  group.setup(async () => {
    node = await startChainNode()
    // a first run compiles Comet (about a minute): the group's own bound, not the suite's
    markets = await deployLocalMarkets(node.url)
    return () => node.stop()
  })
  group.each.timeout(60_000)

  test('a wallet supplies WETH and borrows USDC on both; prices move their health factors', async ({
    assert,
  }) => {
    assert.isAbove((await markets.public.getCode({ address: MULTICALL3 }))!.length, 2)
    const wallet = privateKeyToAccount(generatePrivateKey())
    await markets.openAave(wallet, { supplyWeth: '10', borrowUsdc: '10000' })
    await markets.openComet(wallet, { supplyWeth: '10', borrowUsdc: '10000' })

    const account = (await markets.read(markets.aave.pool, POOL_ABI, 'getUserAccountData', [
      wallet.address,
    ])) as bigint[]
    // 10 WETH × $2000 × 82.5 % / $10,000 — the oracle's base unit is 1e8
    assert.equal(account[0], 20_000n * 10n ** 8n)
    assert.equal(account[1], 10_000n * 10n ** 8n)
    assert.equal(account[5], 1_650_000_000_000_000_000n)
    assert.equal(
      await markets.read(markets.comet.comet, COMET_TEST_ABI, 'borrowBalanceOf', [wallet.address]),
      10_000n * 10n ** 6n
    )

    await markets.setWethPrice('1700')
    const after = (await markets.read(markets.aave.pool, POOL_ABI, 'getUserAccountData', [
      wallet.address,
    ])) as bigint[]
    assert.equal(after[5], 1_402_500_000_000_000_000n)
  })
})
