export type RiskProfile = 'conservative' | 'moderate' | 'aggressive'
export type Channel = 'telegram' | 'email' | 'in_app' | 'webhook'
export type Digest = 'off' | 'daily'

export const RISK_PROFILES: readonly RiskProfile[] = ['conservative', 'moderate', 'aggressive']
export const CHANNELS: readonly Channel[] = ['telegram', 'email', 'in_app', 'webhook']

export interface Preferences {
  riskProfile: RiskProfile
  /**
   * `liquidationProbability24h` (0..1, unset = off): alert when the 24 h
   * probability of liquidation reaches it (docs/adr/0013).
   */
  alertThresholds: {
    healthFactor: number
    liquidationProbability24h?: number
    [name: string]: number | undefined
  }
  activeSignals: string[]
  notificationChannels: Channel[]
  watchAssets?: string[]
  timezone?: string
  quietHours?: { start: string; end: string }
  digest?: Digest
  webhookUrl?: string
}

/** What is stored: only what the user chose. */
export type StoredPreferences = Partial<Omit<Preferences, 'alertThresholds'>> & {
  alertThresholds?: Partial<Preferences['alertThresholds']>
}

/** The risk profile sets the default health-factor threshold (DESIGN.md §4). */
export const DEFAULT_THRESHOLD_BY_PROFILE: Record<RiskProfile, number> = {
  conservative: 2.0,
  moderate: 1.5,
  aggressive: 1.2,
}

export const DEFAULT_ACTIVE_SIGNALS = [
  'depeg',
  'liquidation_risk',
  'funding_rate_spike',
  'whale_movement',
  'oracle_deviation',
]

/**
 * Preferences as the rest of the system sees them: the stored choices, with
 * defaults filled in. Defaults are never written back, so changing a default
 * (or the risk profile) changes the effective value for everyone who did not
 * choose one.
 */
export function withDefaults(stored: StoredPreferences): Preferences {
  const riskProfile = stored.riskProfile ?? 'moderate'
  const channels = stored.notificationChannels ?? ['in_app']
  return {
    ...stored,
    riskProfile,
    alertThresholds: {
      ...stored.alertThresholds,
      healthFactor:
        stored.alertThresholds?.healthFactor ?? DEFAULT_THRESHOLD_BY_PROFILE[riskProfile],
    },
    activeSignals: stored.activeSignals ?? [...DEFAULT_ACTIVE_SIGNALS],
    notificationChannels: channels,
    timezone: stored.timezone ?? 'UTC',
    digest: stored.digest ?? 'off',
  }
}

/** The channels an alert to this user goes to: theirs, in their order, and in-app always. */
export function alertChannels(preferences: Preferences): Channel[] {
  return [...new Set<Channel>([...preferences.notificationChannels, 'in_app'])]
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * PATCH semantics for preferences: objects merge key by key (recursively),
 * arrays and scalars replace, and `null` removes the key (back to its default).
 */
export function deepMerge<T extends object>(stored: T, patch: Record<string, unknown>): T {
  const result: Record<string, unknown> = { ...(stored as Record<string, unknown>) }
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue
    if (value === null) {
      delete result[key]
    } else if (isObject(value)) {
      // Into an empty object when nothing is stored there yet: its nulls still mean
      // "back to the default", never a stored null the defaults would not replace.
      result[key] = deepMerge(isObject(result[key]) ? (result[key] as JsonObject) : {}, value)
    } else {
      result[key] = value
    }
  }
  return result as T
}

export interface PreferenceChange {
  path: string
  before: unknown
  after: unknown
}

/** Leaf-level differences between two preference objects, for the audit event. */
export function diffPreferences(before: object, after: object, prefix = ''): PreferenceChange[] {
  const changes: PreferenceChange[] = []
  const a = before as Record<string, unknown>
  const b = after as Record<string, unknown>
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
  for (const key of keys) {
    const path = prefix ? `${prefix}.${key}` : key
    if (isObject(a[key]) && isObject(b[key])) {
      changes.push(...diffPreferences(a[key] as object, b[key] as object, path))
    } else if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) {
      changes.push({ path, before: a[key] ?? null, after: b[key] ?? null })
    }
  }
  return changes
}
