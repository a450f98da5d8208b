import { privateKeyToAccount } from 'viem/accounts'

/**
 * The demo wallet's private key is PUBLIC (it is right here): it exists so the
 * development status page can sign in with it. It must never hold funds on
 * any real chain, and the page that uses it is not served in production.
 */
export const DEMO_PRIVATE_KEY =
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcbc3ff8aad6b2ff80' as const
// Derived, not written down: a hand-copied address once disagreed with the key,
// so the demo sign-in landed on an empty account instead of the seeded one.
export const DEMO_WALLET = privateKeyToAccount(DEMO_PRIVATE_KEY).address.toLowerCase()

export const DEMO_PREFERENCES = {
  riskProfile: 'moderate' as const,
  alertThresholds: { healthFactor: 1.5 },
  notificationChannels: ['in_app' as const],
  activeSignals: ['depeg', 'whale_movement', 'funding_rate_spike', 'liquidation_risk'],
  timezone: 'Europe/Berlin',
}

export const DEMO_DAYS = 30
