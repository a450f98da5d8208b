import { test } from '@japa/runner'
import {
  evaluateLiquidationProbability,
  INITIAL_STATE,
  type RuleState,
} from '#domain/alerts/health_factor_rule'

const HOUR = 3600_000

/** Feeds a series of (hours, 24 h probability) through the rule; returns the alert severities (or '-'). */
function run(series: [number, number | null][], threshold = 0.05) {
  let state: RuleState = INITIAL_STATE
  return series.map(([hours, p]) => {
    const decision = evaluateLiquidationProbability(p, threshold, state, hours * HOUR)
    state = decision.next
    return decision.alert?.severity ?? '-'
  })
}

test.group('Alerts | liquidation-probability rule', () => {
  test('hysteresis: alerts at the threshold, re-arms only below threshold ÷ 1.05', ({ assert }) => {
    assert.deepEqual(
      run([
        [0, 0.05], // at the threshold: alert
        [1, 0.08], // still high: disarmed
        [2, 0.0485], // below 0.05 but above 0.05 / 1.05 = 0.0476: not re-armed
        [3, 0.06],
        [4, 0.04], // below 0.0476: re-armed
        [5, 0.07],
      ]),
      ['high', '-', '-', '-', '-', 'high']
    )
  })

  test('a coin flip within a day is critical, and a move into it alerts again', ({ assert }) => {
    assert.deepEqual(
      run([
        [0, 0.1],
        [1, 0.6],
        [2, 0.9],
      ]),
      ['high', 'critical', '-']
    )
  })

  test('the cooldown re-alerts a position left at risk', ({ assert }) => {
    assert.deepEqual(
      run([
        [0, 0.2],
        [6, 0.2],
        [12, 0.2],
        [13, 0.2],
      ]),
      ['high', '-', 'high', '-']
    )
  })

  test('no forecast is not a recovery: the state is kept', ({ assert }) => {
    assert.deepEqual(
      run([
        [0, 0.2],
        [1, null],
        [2, 0.2],
      ]),
      ['high', '-', '-']
    )
  })
})
