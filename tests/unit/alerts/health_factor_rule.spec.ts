import { test } from '@japa/runner'
import {
  evaluateHealthFactor,
  INITIAL_STATE,
  type RuleState,
} from '#domain/alerts/health_factor_rule'

const HOUR = 3600_000

/** Feeds a series of (hours, HF) through the rule; returns the alert severities (or '-'). */
function run(series: [number, string | null][], threshold = '1.5') {
  let state: RuleState = INITIAL_STATE
  return series.map(([hours, hf]) => {
    const decision = evaluateHealthFactor(hf, threshold, state, hours * HOUR)
    state = decision.next
    return decision.alert?.severity ?? '-'
  })
}

test.group('Alerts | health-factor rule', () => {
  test('hysteresis: 1.4 alerts, 1.35 does not, 1.6 does not, 1.3 alerts', ({ assert }) => {
    assert.deepEqual(
      run([
        [0, '1.4'],
        [1, '1.35'],
        [2, '1.6'],
        [3, '1.3'],
      ]),
      ['high', '-', '-', 'high']
    )
  })

  test('re-arms only above threshold × 1.05', ({ assert }) => {
    // 1.55 < 1.575: still disarmed; 1.58 > 1.575: re-armed
    assert.deepEqual(
      run([
        [0, '1.4'],
        [1, '1.55'],
        [2, '1.45'],
        [3, '1.58'],
        [4, '1.45'],
      ]),
      ['high', '-', '-', '-', 'high']
    )
  })

  test('the critical band alerts again, once', ({ assert }) => {
    assert.deepEqual(
      run([
        [0, '1.4'],
        [1, '1.05'],
        [2, '1.0'],
        [3, '1.09'],
      ]),
      ['high', 'critical', '-', '-']
    )
    assert.deepEqual(run([[0, '1.05']]), ['critical'])
  })

  test('cooldown: still at risk 12 h after the last alert → alert again', ({ assert }) => {
    assert.deepEqual(
      run([
        [0, '1.4'],
        [11, '1.4'],
        [12, '1.4'],
        [13, '1.4'],
      ]),
      ['high', '-', 'high', '-']
    )
  })

  test('no debt re-arms and never alerts; exactly at the threshold is not below it', ({
    assert,
  }) => {
    assert.deepEqual(
      run([
        [0, '1.4'],
        [1, null],
        [2, '1.4'],
        [3, '1.5'],
      ]),
      ['high', '-', 'high', '-']
    )
  })
})
