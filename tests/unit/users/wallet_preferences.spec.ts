import { test } from '@japa/runner'
import { alertChannels, withDefaults } from '#domain/users/preferences'
import { walletPreferences } from '#domain/users/wallet_preferences'

test.group('Users | per-wallet preferences over the user’s', () => {
  test('nothing set on the wallet: exactly the user’s preferences with their defaults', ({
    assert,
  }) => {
    const user = { riskProfile: 'conservative' as const, notificationChannels: ['email' as const] }
    assert.deepEqual(walletPreferences(user, {}), withDefaults(user))
    assert.deepEqual(walletPreferences(user, null), withDefaults(user))
    assert.deepEqual(walletPreferences({}, undefined), withDefaults({}))
  })

  test('the wallet’s threshold and channels win; quiet hours and time zone stay the user’s', ({
    assert,
  }) => {
    const user = {
      alertThresholds: { healthFactor: 1.5, liquidationProbability24h: 0.2 },
      notificationChannels: ['email' as const],
      timezone: 'Europe/Paris',
      quietHours: { start: '22:00', end: '07:00' },
      digest: 'daily' as const,
    }
    const p = walletPreferences(user, {
      alertThresholds: { healthFactor: 2.0 },
      channels: ['telegram'],
    })
    assert.equal(p.alertThresholds.healthFactor, 2)
    assert.equal(p.alertThresholds.liquidationProbability24h, 0.2, 'unset: the user’s')
    assert.deepEqual(p.notificationChannels, ['telegram'])
    assert.deepEqual(alertChannels(p), ['telegram', 'in_app'])
    assert.equal(p.timezone, 'Europe/Paris')
    assert.deepEqual(p.quietHours, { start: '22:00', end: '07:00' })
    assert.equal(p.digest, 'daily')
    // the user's own preferences are not changed by the merge
    assert.equal(user.alertThresholds.healthFactor, 1.5)
  })

  test('a threshold stored as a decimal string counts; the probability can be set alone', ({
    assert,
  }) => {
    const p = walletPreferences({}, { alertThresholds: { healthFactor: '1.75' } })
    assert.equal(p.alertThresholds.healthFactor, 1.75)
    const q = walletPreferences(
      { riskProfile: 'aggressive' },
      { alertThresholds: { liquidationProbability24h: 0.05 } }
    )
    assert.equal(q.alertThresholds.healthFactor, 1.2, 'the user’s profile default')
    assert.equal(q.alertThresholds.liquidationProbability24h, 0.05)
  })

  test('the wallet threshold wins over the user’s own and over the profile default', ({
    assert,
  }) => {
    const user = { riskProfile: 'conservative' as const, alertThresholds: { healthFactor: 1.3 } }
    assert.equal(
      walletPreferences(user, { alertThresholds: { healthFactor: 1.1 } }).alertThresholds
        .healthFactor,
      1.1
    )
  })

  test('an explicit empty channel list means in-app only, not the user’s channels', ({
    assert,
  }) => {
    const p = walletPreferences({ notificationChannels: ['telegram', 'email'] }, { channels: [] })
    assert.deepEqual(alertChannels(p), ['in_app'])
  })

  test('unusable stored values fall back to the user’s instead of breaking the rule', ({
    assert,
  }) => {
    const user = {
      alertThresholds: { healthFactor: 1.4, liquidationProbability24h: 0.3 },
      notificationChannels: ['email' as const],
    }
    const p = walletPreferences(user, {
      alertThresholds: { healthFactor: 'abc', liquidationProbability24h: 7 },
      channels: ['pager', 'telegram', 'telegram'],
    })
    assert.equal(p.alertThresholds.healthFactor, 1.4)
    assert.equal(p.alertThresholds.liquidationProbability24h, 0.3)
    assert.deepEqual(p.notificationChannels, ['telegram'])
    const q = walletPreferences(user, {
      alertThresholds: { healthFactor: -2 } as never,
      channels: 'telegram' as never,
    })
    assert.equal(q.alertThresholds.healthFactor, 1.4)
    assert.deepEqual(q.notificationChannels, ['email'])
  })
})
