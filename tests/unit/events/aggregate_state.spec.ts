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

test.group('Events | folding Telegram links', () => {
  test('a wallet’s chat linked or unlinked leaves the user’s own link as it was', ({ assert }) => {
    const walletId = '0192f7a0-0000-7000-8000-000000000001'
    const linked = fold([
      ['user.registered', {}],
      ['telegram.linked', { via: 'start', replacedChat: false }],
      ['telegram.unlinked', { reason: 'blocked', walletId }],
    ]) as any
    assert.isTrue(linked.telegramLinked)
    const unlinked = fold([
      ['user.registered', {}],
      ['telegram.linked', { via: 'start', walletId, replacedChat: false }],
    ]) as any
    assert.isFalse(unlinked.telegramLinked)
  })
})
