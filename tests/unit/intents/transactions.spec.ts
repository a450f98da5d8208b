import { test } from '@japa/runner'
import { decodeFunctionData, isAddress, maxUint256, type Address } from 'viem'
import { AAVE_V3, COMPOUND_V3 } from '#domain/intents/registry'
import {
  AAVE_V3_POOL_ABI,
  COMET_ABI,
  fitsUint256,
  prepareTransaction,
} from '#domain/intents/transactions'

const WALLET: Address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'

test.group('Intents | prepared transactions', () => {
  test('every registry address is a valid EIP-55 checksummed address', ({ assert }) => {
    const addresses = [
      ...Object.values(AAVE_V3).flatMap((m) => [
        m.pool,
        ...Object.values(m.tokens).map((t) => t.address),
      ]),
      ...Object.values(COMPOUND_V3).flatMap((m) => [
        m.comet,
        ...Object.values(m.tokens).map((t) => t.address),
      ]),
    ]
    assert.isAbove(addresses.length, 25)
    for (const address of addresses) assert.isTrue(isAddress(address, { strict: true }), address)
    assert.equal(AAVE_V3[1].pool, '0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2')
    for (const chain of [1, 10, 137, 42161]) {
      assert.includeMembers(Object.keys(AAVE_V3[chain].tokens), [
        'USDT',
        'USDC',
        'DAI',
        'WETH',
        'WBTC',
      ])
    }
  })

  test('Aave v3 repay: asset, amount in the token decimals, variable rate 2, on behalf of the wallet', ({
    assert,
  }) => {
    const { transaction } = prepareTransaction('aave_v3', 1, WALLET, {
      type: 'repay',
      asset: 'usdt',
      amount: '1000.5',
    })
    assert.equal(transaction!.to, AAVE_V3[1].pool)
    assert.equal(transaction!.chainId, 1)
    assert.equal(transaction!.value, '0')
    const decoded = decodeFunctionData({ abi: AAVE_V3_POOL_ABI, data: transaction!.data })
    assert.equal(decoded.functionName, 'repay')
    assert.deepEqual(decoded.args, [AAVE_V3[1].tokens.USDT.address, 1_000_500_000n, 2n, WALLET])
  })

  test('Aave v3 supply and withdraw; "max" is uint256 max', ({ assert }) => {
    const supply = prepareTransaction('aave_v3', 42161, WALLET, {
      type: 'supply',
      asset: 'WETH',
      amount: '1.25',
    }).transaction!
    assert.equal(supply.to, AAVE_V3[42161].pool)
    let decoded = decodeFunctionData({ abi: AAVE_V3_POOL_ABI, data: supply.data })
    assert.equal(decoded.functionName, 'supply')
    assert.deepEqual(decoded.args, [
      AAVE_V3[42161].tokens.WETH.address,
      1_250_000_000_000_000_000n,
      WALLET,
      0,
    ])

    const withdraw = prepareTransaction('aave_v3', 1, WALLET, {
      type: 'withdraw',
      asset: 'WBTC',
      amount: 'max',
    }).transaction!
    decoded = decodeFunctionData({ abi: AAVE_V3_POOL_ABI, data: withdraw.data })
    assert.equal(decoded.functionName, 'withdraw')
    assert.deepEqual(decoded.args, [AAVE_V3[1].tokens.WBTC.address, maxUint256, WALLET])

    const repayAll = prepareTransaction('aave_v3', 1, WALLET, {
      type: 'repay',
      asset: 'DAI',
      amount: 'max',
    })
    assert.equal(
      decodeFunctionData({ abi: AAVE_V3_POOL_ABI, data: repayAll.transaction!.data }).args[1],
      maxUint256
    )
  })

  test('Compound v3 (USDC market): repay is supplying USDC; withdraw collateral', ({ assert }) => {
    const repay = prepareTransaction('compound_v3', 1, WALLET, {
      type: 'repay',
      asset: 'USDC',
      amount: '250',
    }).transaction!
    assert.equal(repay.to, '0xc3d688B66703497DAA19211EEdff47f25384cdc3')
    let decoded = decodeFunctionData({ abi: COMET_ABI, data: repay.data })
    assert.equal(decoded.functionName, 'supply')
    assert.deepEqual(decoded.args, [COMPOUND_V3[1].tokens.USDC.address, 250_000_000n])

    const withdraw = prepareTransaction('compound_v3', 1, WALLET, {
      type: 'withdraw',
      asset: 'WETH',
      amount: '0.5',
    }).transaction!
    decoded = decodeFunctionData({ abi: COMET_ABI, data: withdraw.data })
    assert.equal(decoded.functionName, 'withdraw')
    assert.deepEqual(decoded.args, [COMPOUND_V3[1].tokens.WETH.address, 500_000_000_000_000_000n])

    const wrong = prepareTransaction('compound_v3', 1, WALLET, {
      type: 'repay',
      asset: 'WETH',
      amount: '1',
    })
    assert.isNull(wrong.transaction)
    assert.include(wrong.note!, 'debt is in USDC')
  })

  test('an amount past uint256 is a note, never a throw; the largest that fits is encoded', ({
    assert,
  }) => {
    // uint256 max is 115792089237316195423570985008687907853269984665640564039457.58… DAI
    const largest = '115792089237316195423570985008687907853269984665640564039457'
    assert.isTrue(fitsUint256(largest, 18))
    assert.isFalse(fitsUint256('115792089237316195423570985008687907853269984665640564039458', 18))
    const fits = prepareTransaction('aave_v3', 1, WALLET, {
      type: 'repay',
      asset: 'DAI',
      amount: largest,
    })
    const decoded = decodeFunctionData({ abi: AAVE_V3_POOL_ABI, data: fits.transaction!.data })
    assert.equal(decoded.args[1], BigInt(largest) * 10n ** 18n)
    for (const protocol of ['aave_v3', 'compound_v3'] as const) {
      const asset = protocol === 'aave_v3' ? 'DAI' : 'WETH'
      const prepared = prepareTransaction(protocol, 1, WALLET, {
        type: 'withdraw',
        asset,
        amount: `2${'0'.repeat(59)}`,
      })
      assert.isNull(prepared.transaction, protocol)
      assert.include(prepared.note!, 'larger than a uint256 can hold')
    }
  })

  test('unknown protocol or chain, and notify: no transaction, a note', ({ assert }) => {
    for (const [protocol, chain] of [
      ['morpho_blue', 1],
      ['aave_v3', 56],
      ['compound_v3', 42161],
    ] as const) {
      const prepared = prepareTransaction(protocol, chain, WALLET, {
        type: 'repay',
        asset: 'USDC',
        amount: '1',
      })
      assert.isNull(prepared.transaction)
      assert.equal(
        prepared.note,
        `no transaction can be prepared for ${protocol} on chain ${chain}`
      )
    }
    const notify = prepareTransaction('aave_v3', 1, WALLET, {
      type: 'notify',
      asset: 'USDC',
      amount: '1',
    })
    assert.isNull(notify.transaction)
  })
})
