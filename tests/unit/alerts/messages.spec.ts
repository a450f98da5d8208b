import { test } from '@japa/runner'
import {
  formatDigest,
  formatHealthFactorAlert,
  formatIntentTriggered,
  formatLiquidationProbabilityAlert,
  walletName,
} from '#domain/alerts/messages'

const TREASURY = '0x' + '7e'.repeat(20)

test.group('Alerts | messages name the wallet (docs/adr/0014)', () => {
  test('a wallet is its label and short address, or the short address alone', ({ assert }) => {
    assert.equal(walletName(TREASURY, 'DAO treasury'), 'DAO treasury (0x7e7e…7e7e)')
    assert.equal(walletName(TREASURY, null), '0x7e7e…7e7e')
    assert.equal(walletName(TREASURY), '0x7e7e…7e7e')
  })

  test('each kind of position message leads with the wallet when given, unchanged without', ({
    assert,
  }) => {
    const hf = {
      protocol: 'aave_v3',
      chainId: 1,
      healthFactor: '1.4',
      threshold: '1.5',
      collateralUsd: '100',
      debtUsd: '50',
      bufferPct: null,
      liquidation: null,
    }
    assert.match(formatHealthFactorAlert(hf), /^Aave v3 on Ethereum: health factor 1\.400/)
    assert.match(
      formatHealthFactorAlert({ ...hf, wallet: 'Vault (0x7e7e…7e7e)' }),
      /^Vault \(0x7e7e…7e7e\), Aave v3 on Ethereum: health factor 1\.400/
    )
    const probability = {
      protocol: 'compound_v3',
      chainId: 8453,
      probability24h: 0.2,
      probability7d: 0.5,
      threshold: 0.1,
      healthFactor: '1.1',
    }
    assert.match(
      formatLiquidationProbabilityAlert({ ...probability, wallet: '0x7e7e…7e7e' }),
      /^0x7e7e…7e7e, Compound v3 on Base: chance of liquidation/
    )
    const intent = {
      name: 'guard',
      protocol: 'aave_v3',
      chainId: 1,
      operator: 'lt' as const,
      threshold: '1.2',
      healthFactor: '1.1',
      action: { type: 'notify', asset: 'USDT', amount: '0' },
      transaction: null,
      note: null,
    }
    assert.match(
      formatIntentTriggered({ ...intent, wallet: 'Hot (0x7e7e…7e7e)' }),
      /^Your intent "guard" fired: Hot \(0x7e7e…7e7e\), Aave v3 on Ethereum, health factor 1\.100 < 1\.2\./
    )
    const digest = formatDigest({
      localDate: '2026-12-04',
      positions: [
        {
          wallet: 'Hot (0x7e7e…7e7e)',
          protocol: 'aave_v3',
          chainId: 1,
          healthFactor: '2',
          lowestHealthFactor: '2',
          collateralUsd: '1',
          debtUsd: '0.5',
        },
      ],
      alerts: { total: 0, bySeverity: {} },
      signals: [],
    })
    assert.include(digest, '• Hot (0x7e7e…7e7e), Aave v3 on Ethereum: health factor 2.000')
  })
})
