import { DateTime } from 'luxon'
import factory from '@adonisjs/lucid/factories'
import { Alert } from '#models'

export const AlertFactory = factory
  .define(Alert, () => ({
    signalId: null,
    type: 'health_factor_low',
    severity: 'high' as const,
    channel: 'in_app' as const,
    message: 'Aave v3 on Ethereum: health factor 1.42 is below your threshold 1.5',
    metadata: {},
    status: 'sent' as const,
    attempts: 0,
    lastError: null,
    sentAt: DateTime.utc(),
    acknowledgedAt: null,
  }))
  .state('pending', (alert) => {
    alert.status = 'pending'
    alert.sentAt = null
  })
  .state('telegram', (alert) => {
    alert.channel = 'telegram'
    alert.status = 'pending'
    alert.sentAt = null
  })
  .state('critical', (alert) => {
    alert.severity = 'critical'
  })
  .state('failed', (alert) => {
    alert.status = 'failed'
    alert.attempts = 5
    alert.lastError = 'network error'
    alert.sentAt = null
  })
  .build()
