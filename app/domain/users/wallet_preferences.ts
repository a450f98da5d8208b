import {
  CHANNELS,
  withDefaults,
  type Channel,
  type Preferences,
  type StoredPreferences,
} from './preferences.js'

/**
 * What a wallet on a user's list may set for itself (`user_wallets.preferences`,
 * docs/adr/0014): its own alert thresholds and channels — a treasury alerting
 * at HF 2.0 to a team's Telegram group, the user's own loan at 1.5 to their DM.
 * The same meaning as the user's `alertThresholds` and `notificationChannels`;
 * anything unset is the user's.
 */
export interface WalletPreferences {
  alertThresholds?: {
    healthFactor?: number | string
    liquidationProbability24h?: number
  }
  channels?: string[]
}

const positive = (value: unknown): number | undefined => {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined
}

/**
 * The preferences an alert about one of the user's wallets follows: the
 * user's (with their defaults), then whatever the wallet sets over them.
 * Quiet hours, time zone, risk profile and the rest stay the user's: a wallet
 * chooses what alerts and where, not when the person sleeps. A stored value
 * that is not usable (a threshold that is not a positive number, an unknown
 * channel) is ignored — the user's applies — rather than breaking the rule for
 * every snapshot of that wallet.
 */
export function walletPreferences(
  user: StoredPreferences,
  wallet: WalletPreferences | null | undefined
): Preferences {
  const base = withDefaults(user ?? {})
  if (!wallet || typeof wallet !== 'object') return base
  const thresholds = { ...base.alertThresholds }
  const healthFactor = positive(wallet.alertThresholds?.healthFactor)
  if (healthFactor !== undefined) thresholds.healthFactor = healthFactor
  const probability = positive(wallet.alertThresholds?.liquidationProbability24h)
  if (probability !== undefined && probability <= 1) {
    thresholds.liquidationProbability24h = probability
  }
  const channels = Array.isArray(wallet.channels)
    ? [...new Set(wallet.channels.filter((c): c is Channel => CHANNELS.includes(c as Channel)))]
    : undefined
  return {
    ...base,
    alertThresholds: thresholds,
    // an explicit empty list is a choice too: in-app only (alertChannels adds it)
    notificationChannels: channels ?? base.notificationChannels,
  }
}
