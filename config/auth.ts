import { defineConfig } from '@adonisjs/auth'
import { tokensGuard } from '@adonisjs/auth/access_tokens'
import { CachedLucidUserProvider } from '#infrastructure/auth/cached_providers'
import type { InferAuthenticators, InferAuthEvents, Authenticators } from '@adonisjs/auth/types'

/**
 * Two kinds of callers, two guards, two token tables:
 * - api: users signed in with their wallet (usr_ tokens, expiring);
 * - service: indexers and feeds (svc_ tokens with abilities).
 */
const authConfig = defineConfig({
  default: 'api',
  guards: {
    api: tokensGuard({
      provider: new CachedLucidUserProvider({
        tokens: 'accessTokens',
        model: () => import('#models/user'),
      }),
    }),
    service: tokensGuard({
      provider: new CachedLucidUserProvider({
        tokens: 'accessTokens',
        model: () => import('#models/api_client'),
      }),
    }),
  },
})

export default authConfig

declare module '@adonisjs/auth/types' {
  export interface Authenticators extends InferAuthenticators<typeof authConfig> {}
}
declare module '@adonisjs/core/types' {
  interface EventsList extends InferAuthEvents<Authenticators> {}
}
