import { DateTime } from 'luxon'
import { column } from '@adonisjs/lucid/orm'
import { CachedDbAccessTokensProvider } from '#infrastructure/auth/cached_providers'
import { UuidModel } from './base.js'

/**
 * A service caller (an indexer, a signal feed). Its tokens live in their own
 * table with their own prefix, so a service token can never authenticate as
 * a user, nor the reverse.
 */
export default class ApiClient extends UuidModel {
  static table = 'api_clients'

  @column()
  declare name: string

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime

  static accessTokens = CachedDbAccessTokensProvider.forModel(ApiClient, {
    table: 'api_client_tokens',
    type: 'service_token',
    prefix: 'svc_',
    tokenSecretLength: 40,
  })
}
