import { DateTime } from 'luxon'
import type { SnapshotInput } from '#services/positions/record_snapshots'

/** A realistic snapshot body: 10 WETH at $2,000 (LT 0.825) against 8,000 USDC → HF 2.0625. */
export function snapshotBody(overrides: Record<string, unknown> = {}) {
  return {
    protocol: 'aave_v3',
    chainId: 1,
    collateral: [
      {
        symbol: 'WETH',
        amount: '10',
        valueUsd: '20000',
        priceUsd: '2000',
        liquidationThreshold: '0.825',
      },
    ],
    debt: [{ symbol: 'USDC', amount: '8000', valueUsd: '8000', priceUsd: '1' }],
    snapshotAt: '2026-11-01T12:00:00Z',
    ...overrides,
  }
}

export function hourly(start: string, count: number, overrides: Record<string, unknown> = {}) {
  const t0 = new Date(start).getTime()
  return Array.from({ length: count }, (_, i) =>
    snapshotBody({ snapshotAt: new Date(t0 + i * 3600_000).toISOString(), ...overrides })
  )
}

export const randomWallet = () =>
  `0x${Array.from({ length: 40 }, () => Math.floor(Math.random() * 16).toString(16)).join('')}`

/**
 * A service's snapshot input of one wallet's Aave v3 position on Ethereum at
 * 2026-11-01T00:00Z + `minute`: 10 WETH at $2,000 (LT 0.825) against USDT,
 * debt = 16500 / HF.
 */
export function walletSnapshot(
  walletAddress: string,
  hf: number,
  minute: number,
  overrides: Partial<SnapshotInput> = {}
): SnapshotInput {
  const debt = (16500 / hf).toFixed(2)
  return {
    walletAddress,
    protocol: 'aave_v3',
    chainId: 1,
    healthFactor: String(hf),
    collateral: [
      { symbol: 'WETH', amount: '10', valueUsd: '20000', liquidationThreshold: '0.825' },
    ],
    debt: [{ symbol: 'USDT', amount: debt, valueUsd: debt }],
    snapshotAt: DateTime.fromISO('2026-11-01T00:00:00Z').plus({ minutes: minute }),
    ...overrides,
  }
}
