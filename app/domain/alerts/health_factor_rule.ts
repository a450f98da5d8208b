import Big from 'big.js'

export type Band = 'low' | 'critical'

/** Below this health factor an alert is critical, whatever the user's threshold. */
export const CRITICAL_HEALTH_FACTOR = '1.1'
/** HF must recover above threshold × this factor before the rule re-arms. */
export const REARM_FACTOR = '1.05'
export const DEFAULT_COOLDOWN_MS = 12 * 3600 * 1000

export interface RuleState {
  armed: boolean
  band: Band | null
  lastAlertAt: number | null
}

export const INITIAL_STATE: RuleState = { armed: true, band: null, lastAlertAt: null }

export interface RuleDecision {
  alert: null | { severity: 'high' | 'critical'; band: Band }
  next: RuleState
}

/**
 * The health-factor alert rule, one snapshot at a time:
 * - no debt (HF null) or HF above threshold × 1.05 → re-arm, no alert;
 * - HF below the threshold while armed → alert (critical below 1.1), disarm;
 * - disarmed, and HF falls into the critical band after a `low` alert → alert again;
 * - disarmed, still below the threshold, and the cooldown since the last alert
 *   has passed → alert again (a position left at risk is not forgotten);
 * - anything else (e.g. between the threshold and threshold × 1.05) → nothing.
 */
export function evaluateHealthFactor(
  healthFactor: string | null,
  threshold: string | number,
  state: RuleState,
  at: number,
  cooldownMs = DEFAULT_COOLDOWN_MS
): RuleDecision {
  if (healthFactor === null) return { alert: null, next: INITIAL_STATE }
  const hf = new Big(healthFactor)
  const limit = new Big(threshold)
  if (hf.gt(limit.times(REARM_FACTOR))) return { alert: null, next: INITIAL_STATE }
  if (!hf.lt(limit)) return { alert: null, next: state }

  const band: Band = hf.lt(CRITICAL_HEALTH_FACTOR) ? 'critical' : 'low'
  const worse = state.band === 'low' && band === 'critical'
  const cooledDown = state.lastAlertAt !== null && at - state.lastAlertAt >= cooldownMs
  if (state.armed || worse || cooledDown) {
    return {
      alert: { severity: band === 'critical' ? 'critical' : 'high', band },
      next: { armed: false, band: state.band === 'critical' ? 'critical' : band, lastAlertAt: at },
    }
  }
  return { alert: null, next: state }
}

/** At or above this 24 h probability of liquidation an alert is critical: a coin flip within a day. */
export const CRITICAL_PROBABILITY = 0.5

/**
 * The liquidation-probability rule (preference `alertThresholds.liquidationProbability24h`),
 * the health-factor rule mirrored — a probability is bad when high:
 * - no forecast (not enough history, no debt) → nothing, state kept: not knowing is not a recovery;
 * - probability below threshold ÷ 1.05 → re-arm, no alert;
 * - at or above the threshold while armed → alert (critical from 50 %), disarm;
 * - disarmed: a move into the critical band, or the cooldown passed while still
 *   at or above the threshold → alert again;
 * - anything else (between threshold ÷ 1.05 and the threshold) → nothing.
 */
export function evaluateLiquidationProbability(
  probability24h: number | null,
  threshold: number,
  state: RuleState,
  at: number,
  cooldownMs = DEFAULT_COOLDOWN_MS
): RuleDecision {
  if (probability24h === null) return { alert: null, next: state }
  if (probability24h < threshold / Number(REARM_FACTOR)) return { alert: null, next: INITIAL_STATE }
  if (probability24h < threshold) return { alert: null, next: state }

  const band: Band = probability24h >= CRITICAL_PROBABILITY ? 'critical' : 'low'
  const worse = state.band === 'low' && band === 'critical'
  const cooledDown = state.lastAlertAt !== null && at - state.lastAlertAt >= cooldownMs
  if (state.armed || worse || cooledDown) {
    return {
      alert: { severity: band === 'critical' ? 'critical' : 'high', band },
      next: { armed: false, band: state.band === 'critical' ? 'critical' : band, lastAlertAt: at },
    }
  }
  return { alert: null, next: state }
}
