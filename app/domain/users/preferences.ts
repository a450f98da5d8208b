export type RiskProfile = 'conservative' | 'moderate' | 'aggressive'
export type Channel = 'telegram' | 'email' | 'in_app' | 'webhook'

export interface Preferences {
  riskProfile: RiskProfile
  alertThresholds: { healthFactor: number; [name: string]: number }
  activeSignals: string[]
  notificationChannels: Channel[]
  watchAssets?: string[]
  timezone?: string
  quietHours?: { start: string; end: string }
  digest?: 'off' | 'daily'
  webhookUrl?: string
}
