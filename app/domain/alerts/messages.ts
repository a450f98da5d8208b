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
  // Hardhat's default: the tests' and `pnpm dev:chain`'s local chain
  31337: 'the local chain (31337)',
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
  /** walletName() of a wallet that is not the sign-in one */
  wallet?: string
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
  /** P(HF touches 1 within 24 h), 0..1; absent when the model cannot say (ADR 0013). */
  liquidationProbability24h?: number | null
}

/**
 * How a wallet is named in a message: its label and short address. Messages
 * name the wallet only when it is not the user's sign-in wallet, so a
 * one-wallet user reads what they always did (docs/adr/0014).
 */
export function walletName(address: string, name?: string | null): string {
  const short = `${address.slice(0, 6)}…${address.slice(-4)}`
  return name ? `${name} (${short})` : short
}

const where = (f: { protocol: string; chainId: number; wallet?: string }) =>
  `${f.wallet ? `${f.wallet}, ` : ''}${protocolName(f.protocol)} on ${chainName(f.chainId)}`

/** A probability as people read it: "4.2%", "<0.1%", ">99.9%". */
export function formatProbability(p: number): string {
  if (p < 0.001) return '<0.1%'
  if (p > 0.999) return '>99.9%'
  return `${(p * 100).toFixed(p < 0.1 ? 1 : 0)}%`
}

/** Everything needed to act without opening the dashboard. */
export function formatHealthFactorAlert(f: HealthFactorAlertFacts): string {
  const hf = Number.parseFloat(f.healthFactor).toFixed(3)
  const parts = [
    `${where(f)}: health factor ${hf} is below your threshold ${f.threshold}.`,
    `Collateral ${usd(f.collateralUsd)}, debt ${usd(f.debtUsd)}` +
      (f.bufferPct !== null ? ` — collateral can fall ${f.bufferPct}% before liquidation.` : '.'),
  ]
  if (f.liquidation?.liquidationPriceUsd) {
    parts.push(
      `${f.liquidation.symbol} is liquidated at ${usd(f.liquidation.liquidationPriceUsd)}` +
        (f.liquidation.priceUsd ? ` (now ${usd(f.liquidation.priceUsd)}).` : '.')
    )
  }
  if (f.liquidationProbability24h !== undefined && f.liquidationProbability24h !== null) {
    parts.push(
      `Chance of liquidation within 24 h at recent volatility: ${formatProbability(f.liquidationProbability24h)}.`
    )
  }
  return parts.join(' ')
}

export interface LiquidationProbabilityAlertFacts {
  /** walletName() of a wallet that is not the sign-in one */
  wallet?: string
  protocol: string
  chainId: number
  probability24h: number
  threshold: number
  healthFactor: string
  probability7d: number
}

/** A probability alert: how likely, against what the user asked to hear about, and the HF behind it. */
export function formatLiquidationProbabilityAlert(f: LiquidationProbabilityAlertFacts): string {
  return (
    `${where(f)}: chance of liquidation within 24 h is ` +
    `${formatProbability(f.probability24h)} at recent volatility, at or above your threshold ` +
    `${formatProbability(f.threshold)} (7 days: ${formatProbability(f.probability7d)}). ` +
    `Health factor ${Number.parseFloat(f.healthFactor).toFixed(3)}.`
  )
}

export interface DigestFacts {
  localDate: string
  positions: {
    /** walletName() of a wallet that is not the sign-in one */
    wallet?: string
    protocol: string
    chainId: number
    healthFactor: string | null
    lowestHealthFactor: string | null
    collateralUsd: string
    debtUsd: string
  }[]
  alerts: { total: number; bySeverity: Partial<Record<string, number>> }
  signals: { type: string; asset: string; severity: string }[]
}

const hf = (value: string | null) => (value === null ? '∞' : Number.parseFloat(value).toFixed(3))

/** The daily summary: positions, lowest health factor of the past day, alerts and signals. */
export function formatDigest(f: DigestFacts): string {
  const lines = [`Your DeFi summary for ${f.localDate}`, '']
  if (f.positions.length === 0) {
    lines.push('Positions: none recorded yet.')
  } else {
    lines.push('Positions:')
    for (const p of f.positions) {
      const lowest =
        p.lowestHealthFactor !== null && p.lowestHealthFactor !== p.healthFactor
          ? ` (lowest in 24 h: ${hf(p.lowestHealthFactor)})`
          : ''
      lines.push(
        `• ${where(p)}: health factor ${hf(p.healthFactor)}${lowest}, collateral ${usd(p.collateralUsd)}, debt ${usd(p.debtUsd)}`
      )
    }
  }
  lines.push('')
  const severities = ['critical', 'high', 'medium', 'low']
    .filter((s) => f.alerts.bySeverity[s])
    .map((s) => `${f.alerts.bySeverity[s]} ${s}`)
  lines.push(
    f.alerts.total === 0
      ? 'Alerts in the past day: none.'
      : `Alerts in the past day: ${f.alerts.total} (${severities.join(', ')}).`
  )
  lines.push(
    f.signals.length === 0
      ? 'Signals that concerned you: none.'
      : `Signals that concerned you: ${f.signals
          .slice(0, 10)
          .map((s) => `${label(s.type)} on ${s.asset} (${s.severity})`)
          .join('; ')}${f.signals.length > 10 ? `; and ${f.signals.length - 10} more` : ''}.`
  )
  return lines.join('\n')
}

export interface IntentTriggeredFacts {
  /** walletName() of a wallet that is not the sign-in one */
  wallet?: string
  name: string | null
  protocol: string
  chainId: number
  operator: 'lt' | 'lte' | 'gt' | 'gte'
  threshold: string
  healthFactor: string | null
  action: { type: string; asset: string; amount: string }
  transaction: { to: string; description: string } | null
  note: string | null
}

const OPERATOR_TEXT = { lt: '<', lte: '≤', gt: '>', gte: '≥' } as const

/** Says what fired and what to sign. */
export function formatIntentTriggered(f: IntentTriggeredFacts): string {
  const title = f.name ? `Your intent "${f.name}" fired` : 'Your intent fired'
  const hfText =
    f.healthFactor === null ? '∞ (no debt)' : Number.parseFloat(f.healthFactor).toFixed(3)
  const lines = [
    `${title}: ${where(f)}, health factor ${hfText} ${OPERATOR_TEXT[f.operator]} ${f.threshold}.`,
  ]
  if (f.action.type === 'notify') {
    lines.push('No transaction: this intent only notifies.')
  } else if (f.transaction) {
    const amount = f.action.amount === 'max' ? 'all' : f.action.amount
    lines.push(
      `Prepared for your wallet to sign: ${f.action.type} ${amount} ${f.action.asset} (${f.transaction.description}, to ${f.transaction.to}). Open the dashboard to review and sign it.`
    )
  } else {
    lines.push(
      `Suggested action: ${f.action.type} ${f.action.amount} ${f.action.asset}. ${f.note ?? ''}`.trim()
    )
  }
  return lines.join('\n')
}
