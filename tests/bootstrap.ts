import app from '@adonisjs/core/services/app'
import testUtils from '@adonisjs/core/services/test_utils'
import { apiClient, ApiClient } from '@japa/api-client'
import { assert } from '@japa/assert'
import { pluginAdonisJS } from '@japa/plugin-adonisjs'
import type { Config } from '@japa/runner/types'
import { assertConformsToDocument } from '#tests/helpers/openapi'
import { createHttpServer } from '#infrastructure/http/node_server'

export const plugins: Config['plugins'] = [assert(), pluginAdonisJS(app), apiClient()]

// Every response a test receives through the Japa client must match the OpenAPI document.
ApiClient.teardown((response) => {
  const headers = response.headers()
  assertConformsToDocument({
    method: response.request.config.method,
    url: response.request.config.endpoint,
    status: response.status(),
    contentType: headers['content-type'],
    headers,
    body: headers['content-type']?.startsWith('application/json')
      ? response.body()
      : response.text(),
  })
})

/**
 * The suite migrates the database it is given (a throwaway one from
 * `pnpm test`, or DB_* / DATABASE_URL) and rolls back at the end.
 */
export const runnerHooks: Required<Pick<Config, 'setup' | 'teardown'>> = {
  setup: [() => testUtils.db().migrate()],
  teardown: [],
}

export const configureSuite: Config['configureSuite'] = (suite) => {
  if (['functional', 'resilience'].includes(suite.name)) {
    return suite.setup(() => testUtils.httpServer().start(createHttpServer))
  }
}
