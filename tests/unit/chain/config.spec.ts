import { test } from '@japa/runner'
import { ChainConfigError, parseMarkets, parseRpcUrls } from '#domain/chain/config'

test.group('Chain | CHAIN_RPC_URLS and CHAIN_MARKETS', () => {
  test('several endpoints per chain, several chains; none means off', ({ assert }) => {
    assert.deepEqual(
      [...parseRpcUrls('1=https://a.example/v2/key,https://b.example;8453=https://c.example')],
      [
        [1, ['https://a.example/v2/key', 'https://b.example']],
        [8453, ['https://c.example']],
      ]
    )
    assert.equal(parseRpcUrls(undefined).size, 0)
    assert.equal(parseRpcUrls('').size, 0)
  })

  test('{0} is refused: {1}')
    .with([
      ['https://a', 'has no "="'],
      ['x=https://a', 'is not a chain id'],
      ['1=', 'chain 1 has no URL'],
      ['1=ftp://a', 'must be http(s)'],
      ['1=not a url', 'is not a URL'],
      ['1=https://a;1=https://b', 'chain 1 twice'],
    ] as const)
    .run(({ assert }, [value, message]) => {
      assert.throws(() => parseRpcUrls(value), ChainConfigError, message)
    })

  test('markets per chain: an Aave PoolAddressesProvider and a Comet', ({ assert }) => {
    const a = '0x' + '1'.repeat(40)
    const c = '0x' + 'a'.repeat(40)
    assert.deepEqual(
      [...parseMarkets(`31337:aave_v3=${a},compound_v3=${c};1:compound_v3=${c}`)],
      [
        [31337, { aave_v3: a, compound_v3: c }],
        [1, { compound_v3: c }],
      ]
    )
    assert.throws(() => parseMarkets(`31337:morpho=${a}`), /must be aave_v3=0x… or compound_v3=0x…/)
    assert.throws(() => parseMarkets('31337:aave_v3=0x12'), /is not an address/)
    assert.throws(() => parseMarkets(`aave_v3=${a}`), /has no ":"/)
  })
})
