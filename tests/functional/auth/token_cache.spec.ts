import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { Secret } from '@adonisjs/core/helpers'
import { CachedDbAccessTokensProvider } from '#infrastructure/auth/cached_providers'
import { UserFactory } from '#factories/user_factory'
import { User } from '#models'

test.group('Auth | verified-token cache', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('serves repeat verifications from memory, evicts on logout, and is bounded in time', async ({
    assert,
  }) => {
    const previous = process.env.ACCESS_TOKEN_CACHE_MS
    process.env.ACCESS_TOKEN_CACHE_MS = '300'
    const provider = CachedDbAccessTokensProvider.forModel(User, {
      table: 'auth_access_tokens',
      type: 'user_token',
      prefix: 'usr_',
    })
    process.env.ACCESS_TOKEN_CACHE_MS = previous
    const user = await UserFactory.create()
    const value = new Secret((await provider.create(user)).value!.release())

    assert.isNotNull(await provider.verify(value))
    // Revoked behind this process's back (another replica): still served from memory...
    await db.from('auth_access_tokens').where('tokenable_id', user.id).delete()
    assert.isNotNull(await provider.verify(value))
    // ...but only until the entry's time runs out.
    await new Promise((resolve) => setTimeout(resolve, 350))
    assert.isNull(await provider.verify(value))

    // A logout through this process evicts at once.
    const second = new Secret((await provider.create(user)).value!.release())
    assert.isNotNull(await provider.verify(second))
    await provider.invalidate(second)
    assert.isNull(await provider.verify(second))
  })
})
