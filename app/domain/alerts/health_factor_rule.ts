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
