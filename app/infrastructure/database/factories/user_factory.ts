import factory from '@adonisjs/lucid/factories'
import { User } from '#models'
import { PositionFactory } from './position_factory.js'
import { AlertFactory } from './alert_factory.js'
import { IntentFactory } from './intent_factory.js'

export const UserFactory = factory
  .define(User, ({ faker }) => ({
    walletAddress: faker.finance.ethereumAddress().toLowerCase(),
    preferences: {},
    telegramChatId: null,
    email: null,
  }))
  .state('conservative', (user) => {
    user.preferences = { ...user.preferences, riskProfile: 'conservative' }
  })
  .state('aggressive', (user) => {
    user.preferences = { ...user.preferences, riskProfile: 'aggressive' }
  })
  .state('telegramLinked', (user, { faker }) => {
    user.telegramChatId = String(faker.number.int({ min: 10_000_000, max: 9_000_000_000 }))
    user.preferences = { ...user.preferences, notificationChannels: ['telegram', 'in_app'] }
  })
  .state('withEmail', (user, { faker }) => {
    user.email = faker.internet.email().toLowerCase()
    user.preferences = { ...user.preferences, notificationChannels: ['email', 'in_app'] }
  })
  .relation('positions', () => PositionFactory)
  .relation('alerts', () => AlertFactory)
  .relation('intents', () => IntentFactory)
  .build()
