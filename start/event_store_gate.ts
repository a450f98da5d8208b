/*
 * At boot of the API and of workers: record whether FEATURE_EVENT_STORE
 * changed since the last start (see app/services/events/gate.ts). Other ace
 * commands skip it: `migration:run` on a fresh database has no gate table yet.
 */
import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'

const isServer = app.getEnvironment() === 'web'
const isWorker = process.env.ACE_COMMAND === 'queue:work'

if (isServer || isWorker) {
  try {
    const { syncEventStoreGate } = await import('#services/events/gate')
    const change = await syncEventStoreGate()
    if (change !== 'unchanged') logger.info(`event store ${change}`)
  } catch (error) {
    logger.warn({ err: error }, 'event store gate not checked (are migrations applied?)')
  }
}
