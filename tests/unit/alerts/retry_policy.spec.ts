import { test } from '@japa/runner'
import { DEFAULT_RETRY_POLICY, backoffMs, nextState } from '#domain/delivery/outcome'

test.group('Delivery | retry policy', () => {
  test('a ten-minute provider outage delays an alert, it does not fail it', ({ assert }) => {
    // the shortest schedule the jitter can draw: every wait at half its ceiling
    const outage = { kind: 'transient', error: 'Telegram 502' } as const
    let waited = 0
    let attempts = 0
    for (;;) {
      const next = nextState(outage, attempts, DEFAULT_RETRY_POLICY)
      attempts++
      if (next.status !== 'pending') break
      waited += backoffMs(attempts, DEFAULT_RETRY_POLICY, () => 0)
    }
    assert.equal(attempts, DEFAULT_RETRY_POLICY.maxAttempts)
    assert.isAbove(waited, 10 * 60_000)
  })
})
