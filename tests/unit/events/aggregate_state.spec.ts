import { test } from '@japa/runner'
import { applyEvent, type AggregateState } from '#domain/events/aggregate_state'
import { deepMerge, diffPreferences, type StoredPreferences } from '#domain/users/preferences'

const fold = (events: [string, Record<string, unknown>][]) =>
  events.reduce<AggregateState | undefined>(
    (state, [event_type, payload]) => applyEvent(state, { event_type, payload }),
    undefined
  )

test.group('Events | folding an alert', () => {
  test('acknowledged while its send was in flight: stays acknowledged, as the live row does', ({
    assert,
  }) => {
    const created = ['alert.created', { channel: 'telegram', status: 'pending' }] as [
      string,
      Record<string, unknown>,
    ]
    assert.equal(
      (fold([created, ['alert.acknowledged', {}], ['alert.sent', {}]]) as any).status,
      'acknowledged'
    )
    assert.equal((fold([created, ['alert.sent', {}]]) as any).status, 'sent')
    assert.equal((fold([created, ['alert.failed', {}]]) as any).status, 'failed')
    assert.equal(
      (fold([created, ['alert.sent', {}], ['alert.acknowledged', {}]]) as any).status,
      'acknowledged'
    )
  })
})

test.group('Events | folding preferences', () => {
  test('the fold of the recorded changes equals what the deep merge stored, emptied objects too', ({
    assert,
  }) => {
    const patches: Record<string, unknown>[] = [
      { alertThresholds: { healthFactor: 1.3 }, timezone: 'Europe/Paris' },
      { alertThresholds: { healthFactor: null } },
      { quietHours: { start: '22:00', end: '07:00' } },
      { timezone: null, quietHours: null, watchAssets: ['ETH'] },
    ]
    let live: StoredPreferences = {}
    let folded = fold([['user.registered', {}]])
    for (const patch of patches) {
      const before = { email: null, preferences: live }
      live = deepMerge(live, patch)
      const changes = diffPreferences(before, { email: null, preferences: live })
      folded = applyEvent(folded, { event_type: 'user.preferences_updated', payload: { changes } })
      assert.deepEqual((folded as any).preferences, live, JSON.stringify(patch))
    }
  })
})
