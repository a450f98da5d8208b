import { test } from '@japa/runner'
import { AAVE_V3, COMPOUND_V3, unpreparable } from '#domain/intents/registry'
import { prepareTransaction, type IntentAction } from '#domain/intents/transactions'

const WALLET = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'

test.group('Intents | markets an action can be prepared for', () => {
  test('{0} {1} {2}: {3}')
    .with([
      ['aave_v3', 1, 'repay USDT', null],
      ['aave_v3', 8453, 'supply weth', null],
      ['compound_v3', 1, 'repay USDC', null],
      ['compound_v3', 1, 'supply WETH', null],
      ['compound_v3', 1, 'withdraw WBTC', null],
      ['morpho_blue', 1, 'repay USDT', 'protocol'],
      ['aave', 1, 'repay USDT', 'protocol'], // aliases are resolved before, by the validators
      ['aave_v3', 56, 'repay USDT', 'chainId'],
      ['compound_v3', 10, 'repay USDC', 'chainId'],
      ['aave_v3', 8453, 'repay USDT', 'action.asset'],
      ['aave_v3', 1, 'withdraw PEPE', 'action.asset'],
      ['compound_v3', 1, 'repay WETH', 'action.asset'],
      ['morpho_blue', 56, 'notify PEPE', null],
    ] as const)
    .run(({ assert }, [protocol, chainId, what, field]) => {
      const [type, asset] = what.split(' ')
      assert.equal(unpreparable(protocol, chainId, { type, asset })?.field ?? null, field)
    })

  test('the refusal says what is supported', ({ assert }) => {
    assert.equal(
      unpreparable('morpho_blue', 1, { type: 'repay', asset: 'USDT' })?.message,
      'No transaction can be prepared for morpho_blue: the protocols with markets are aave_v3 and compound_v3; a notify action takes any protocol'
    )
    assert.equal(
      unpreparable('aave_v3', 56, { type: 'repay', asset: 'USDT' })?.message,
      'Aave v3 has no market on chain 56 here: its chains are 1, 10, 137, 8453, 42161'
    )
    assert.equal(
      unpreparable('compound_v3', 10, { type: 'repay', asset: 'USDC' })?.message,
      'Compound v3 has no market on chain 10 here: its chains are 1'
    )
    assert.equal(
      unpreparable('aave_v3', 8453, { type: 'repay', asset: 'usdt' })?.message,
      'usdt is not an asset of the Aave v3 market on chain 8453: its assets are WETH, CBETH, USDBC, WSTETH, USDC, WEETH, CBBTC, EZETH, GHO, WRSETH, LBTC, EURC, AAVE, TBTC, SYRUPUSDC'
    )
    assert.equal(
      unpreparable('compound_v3', 1, { type: 'repay', asset: 'WETH' })?.message,
      'Compound v3 debt on chain 1 is in USDC: only USDC can repay it'
    )
  })

  test('accepted exactly when prepareTransaction can prepare it, over the whole registry and beyond', ({
    assert,
  }) => {
    const protocols = ['aave_v3', 'compound_v3', 'morpho_blue']
    const chains = [...new Set([...Object.keys(AAVE_V3), ...Object.keys(COMPOUND_V3), '56'])]
    const symbols = [
      ...new Set([
        ...Object.values(AAVE_V3).flatMap((m) => Object.keys(m.tokens)),
        ...Object.values(COMPOUND_V3).flatMap((m) => Object.keys(m.tokens)),
        'PEPE',
      ]),
    ]
    let checked = 0
    for (const protocol of protocols) {
      for (const chainId of chains.map(Number)) {
        for (const asset of symbols) {
          for (const type of ['repay', 'supply', 'withdraw'] as const) {
            const action: IntentAction = { type, asset, amount: '1' }
            const prepared = prepareTransaction(protocol, chainId, WALLET, action)
            const problem = unpreparable(protocol, chainId, action)
            assert.equal(
              problem === null,
              prepared.transaction !== null,
              `${protocol} ${chainId} ${type} ${asset}: ${problem?.message ?? prepared.note}`
            )
            checked++
          }
        }
      }
    }
    assert.isAbove(checked, 100)
  })
})
