import { test } from '@japa/runner'
import { isTrustedProxy } from '#config/app'

test.group('HTTP | trusted proxies', () => {
  test('loopback and private networks are trusted; public addresses are not', ({ assert }) => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.5',
      '192.168.1.1',
      '::1',
      '::ffff:10.0.0.7',
      'fd12::1',
    ]) {
      assert.isTrue(isTrustedProxy(address), address)
    }
    for (const address of ['8.8.8.8', '172.32.0.1', '1.2.3.4', '2001:db8::1', '::ffff:8.8.8.8']) {
      assert.isFalse(isTrustedProxy(address), address)
    }
  })
})
