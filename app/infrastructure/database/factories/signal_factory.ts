import { DateTime } from 'luxon'
import factory from '@adonisjs/lucid/factories'
import { Signal } from '#models'

export const SignalFactory = factory
  .define(Signal, () => ({
    type: 'depeg',
    asset: 'USDC',
    severity: 'medium' as const,
    data: { price: '0.985' },
    detectedAt: DateTime.utc().startOf('second'),
    expiresAt: DateTime.utc().plus({ hours: 6 }).startOf('second'),
    status: 'active' as const,
  }))
  .state('critical', (signal) => {
    signal.severity = 'critical'
  })
  .state('expired', (signal) => {
    signal.detectedAt = DateTime.utc().minus({ hours: 2 }).startOf('second')
    signal.expiresAt = DateTime.utc().minus({ hours: 1 }).startOf('second')
    signal.status = 'expired'
  })
  .state('whale', (signal) => {
    signal.type = 'whale_movement'
    signal.asset = 'ETH'
    signal.data = { amount: '25000', from: 'exchange', to: 'unknown' }
  })
  .build()
