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

const PROTOCOLS: Record<string, string> = {
  aave_v3: 'Aave v3',
  compound_v3: 'Compound v3',
  aave_v2: 'Aave v2',
}
const CHAINS: Record<number, string> = {
  1: 'Ethereum',
  10: 'Optimism',
  137: 'Polygon',
  42161: 'Arbitrum',
  8453: 'Base',
}

export const protocolName = (p: string) => PROTOCOLS[p] ?? p
export const chainName = (id: number) => CHAINS[id] ?? `chain ${id}`

/** "12345.678" -> "12,345.68": display only, from a decimal string, no float. */
export function usd(value: string): string {
  const [int, frac = ''] = value.split('.')
  const cents = (frac + '00').slice(0, 2)
  return `$${int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents}`
}

export interface HealthFactorAlertFacts {
  protocol: string
  chainId: number
  healthFactor: string
  threshold: string
  collateralUsd: string
  debtUsd: string
  bufferPct: string | null
  liquidation: {
    symbol: string
    priceUsd: string | null
    liquidationPriceUsd: string | null
  } | null
}

/** Everything needed to act without opening the dashboard. */
export function formatHealthFactorAlert(f: HealthFactorAlertFacts): string {
  const hf = Number.parseFloat(f.healthFactor).toFixed(3)
  const parts = [
    `${protocolName(f.protocol)} on ${chainName(f.chainId)}: health factor ${hf} is below your threshold ${f.threshold}.`,
    `Collateral ${usd(f.collateralUsd)}, debt ${usd(f.debtUsd)}` +
      (f.bufferPct !== null ? ` — collateral can fall ${f.bufferPct}% before liquidation.` : '.'),
  ]
  if (f.liquidation?.liquidationPriceUsd) {
    parts.push(
      `${f.liquidation.symbol} is liquidated at ${usd(f.liquidation.liquidationPriceUsd)}` +
        (f.liquidation.priceUsd ? ` (now ${usd(f.liquidation.priceUsd)}).` : '.')
    )
  }
  return parts.join(' ')
}
