/** Plain-text alert messages: enough to act on without opening the dashboard. */

export interface SignalForMessage {
  type: string
  asset: string
  severity: 'low' | 'medium' | 'high' | 'critical'
  data: Record<string, unknown>
}

const LABELS: Record<string, string> = {
  depeg: 'Depeg',
  whale_movement: 'Whale movement',
  funding_rate_spike: 'Funding-rate spike',
  liquidation_risk: 'Liquidation risk',
  oracle_deviation: 'Oracle deviation',
}

function label(type: string): string {
  return LABELS[type] ?? type.charAt(0).toUpperCase() + type.slice(1).replaceAll('_', ' ')
}

/** "[HIGH] Depeg on USDC: priceUsd 0.985, pool curve-3pool" — feed data as plain key/value text. */
export function formatSignalAlert(signal: SignalForMessage): string {
  const details = Object.entries(signal.data)
    .filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))
    .slice(0, 6)
    .map(([k, v]) => `${k} ${String(v).slice(0, 80)}`)
    .join(', ')
  return `[${signal.severity.toUpperCase()}] ${label(signal.type)} on ${signal.asset}${details ? `: ${details}` : ''}`
}
