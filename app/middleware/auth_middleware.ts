import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { DomainError } from '#domain/shared/errors'
import { requestContext } from '#infrastructure/context/request_context'
import type { ApiClient, User } from '#models'

export type Caller = { kind: 'user'; user: User } | { kind: 'service'; client: ApiClient }

declare module '@adonisjs/core/http' {
  interface HttpContext {
    caller: Caller
  }
}

export interface AuthOptions {
  /**
   * Who may call: `user` (wallet sign-in tokens), `service` (service tokens),
   * or both. A token of the other kind is a 401, as if it were unknown.
   */
  as?: 'user' | 'service' | 'any'
  /** Abilities a service token must hold (all of them); missing one is a 403. */
  abilities?: string[]
}

export default class AuthMiddleware {
  async handle(ctx: HttpContext, next: NextFn, options: AuthOptions = {}) {
    const as = options.as ?? 'user'
    const guards =
      as === 'any'
        ? (['api', 'service'] as const)
        : as === 'user'
          ? (['api'] as const)
          : (['service'] as const)
    await ctx.auth.authenticateUsing([...guards])

    if (ctx.auth.authenticatedViaGuard === 'api') {
      const user = ctx.auth.use('api').getUserOrFail()
      ctx.caller = { kind: 'user', user }
    } else {
      const guard = ctx.auth.use('service')
      const client = guard.getUserOrFail()
      const token = client.currentAccessToken
      for (const ability of options.abilities ?? []) {
        if (!token.allows(ability)) {
          throw new DomainError('E_MISSING_ABILITY', `This token lacks the "${ability}" ability`)
        }
      }
      ctx.caller = { kind: 'service', client }
    }

    const store = requestContext.getStore()
    if (store) {
      store.actor =
        ctx.caller.kind === 'user'
          ? { type: 'user', id: ctx.caller.user.id }
          : { type: 'service', id: ctx.caller.client.id, name: ctx.caller.client.name }
    }
    return next()
  }
}
