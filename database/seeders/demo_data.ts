/**
 * The demo wallet is Hardhat/Anvil test account #0. Its private key is PUBLIC
 * (printed by every local Ethereum devnet): it exists so a demo page can sign
 * in with it. It must never hold funds on any real chain.
 */
export const DEMO_PRIVATE_KEY =
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcbc3ff8aad6b2ff80' as const
export const DEMO_WALLET = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'

export const DEMO_PREFERENCES = {
  riskProfile: 'moderate' as const,
  alertThresholds: { healthFactor: 1.5 },
  notificationChannels: ['in_app' as const],
  activeSignals: ['depeg', 'whale_movement', 'funding_rate_spike', 'liquidation_risk'],
  timezone: 'Europe/Berlin',
}

export const DEMO_DAYS = 30
