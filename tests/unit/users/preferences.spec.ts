import { test } from '@japa/runner'
import { deepMerge, diffPreferences, withDefaults } from '#domain/users/preferences'

test.group('Users | preferences defaults', () => {
  test('the risk profile sets the default threshold', ({ assert }) => {
    assert.equal(withDefaults({}).alertThresholds.healthFactor, 1.5)
    assert.equal(withDefaults({ riskProfile: 'conservative' }).alertThresholds.healthFactor, 2)
    assert.equal(withDefaults({ riskProfile: 'aggressive' }).alertThresholds.healthFactor, 1.2)
  })

  test("the user's own threshold wins over the profile's", ({ assert }) => {
    const p = withDefaults({ riskProfile: 'conservative', alertThresholds: { healthFactor: 1.1 } })
    assert.equal(p.alertThresholds.healthFactor, 1.1)
  })
})

test.group('Users | preferences merge and diff', () => {
  test('merge: nested objects merge, arrays replace, null deletes', ({ assert }) => {
    const merged = deepMerge(
      { a: { b: 1, c: 2 }, list: [1, 2], gone: 'x', keep: true },
      { a: { c: 3 }, list: [9], gone: null }
    )
    assert.deepEqual(merged, { a: { b: 1, c: 3 }, list: [9], keep: true })
  })

  // Found by the contract fuzzer: a PATCH whose nested object met nothing stored
  // kept its nulls, and GET /me then answered null where the document says number.
  test('merge: nulls inside an object that is not stored yet are dropped, not stored', ({
    assert,
  }) => {
    const merged = deepMerge({ riskProfile: 'moderate' } as Record<string, unknown>, {
      alertThresholds: {
        healthFactor: null,
        liquidationProbability24h: null,
        x: { y: null, z: 1 },
      },
    })
    assert.deepEqual(merged, { riskProfile: 'moderate', alertThresholds: { x: { z: 1 } } })
    assert.equal(withDefaults(merged as never).alertThresholds.liquidationProbability24h, undefined)
  })

  test('merge does not mutate its input', ({ assert }) => {
    const stored = { a: { b: 1 } }
    deepMerge(stored, { a: { b: 2 } })
    assert.deepEqual(stored, { a: { b: 1 } })
  })

  test('diff lists leaf changes with dotted paths', ({ assert }) => {
    assert.deepEqual(diffPreferences({ a: { b: 1 }, x: [1] }, { a: { b: 2 }, x: [1], y: 'new' }), [
      { path: 'a.b', before: 1, after: 2 },
      { path: 'y', before: null, after: 'new' },
    ])
  })
})
