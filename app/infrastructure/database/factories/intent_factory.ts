import factory from '@adonisjs/lucid/factories'
import { Intent } from '#models'

export const IntentFactory = factory
  .define(Intent, () => ({
    name: 'Repay when HF drops',
    protocol: 'aave_v3',
    chainId: 1,
    condition: { metric: 'health_factor' as const, operator: 'lt' as const, value: '1.2' },
    action: { type: 'repay' as const, asset: 'USDT', amount: '1000' },
    status: 'active' as const,
    cooldownSeconds: 3600,
    maxExecutions: null,
    executionsCount: 0,
    lastTriggeredAt: null,
    expiresAt: null,
    deletedAt: null,
  }))
  .state('paused', (intent) => {
    intent.status = 'paused'
  })
  .state('notify', (intent) => {
    intent.action = { type: 'notify', asset: 'USDT', amount: '0' }
  })
  .build()
