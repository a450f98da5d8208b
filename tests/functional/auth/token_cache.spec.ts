import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { Secret } from '@adonisjs/core/helpers'
import type { AccessToken } from '@adonisjs/auth/access_tokens'
import {
  CachedDbAccessTokensProvider,
  CachedLucidUserProvider,
} from '#infrastructure/auth/cached_providers'
import { UserFactory } from '#factories/user_factory'
import { User } from '#models'

/** A provider built while ACCESS_TOKEN_CACHE_MS is `ms` (the caches read it when created). */
function withCacheMs<T>(ms: number, create: () => T): T {
  const previous = process.env.ACCESS_TOKEN_CACHE_MS
  process.env.ACCESS_TOKEN_CACHE_MS = String(ms)
  try {
    return create()
  } finally {
    process.env.ACCESS_TOKEN_CACHE_MS = previous
  }
}

const tokenProvider = (cacheMs: number) =>
  withCacheMs(cacheMs, () =>
    CachedDbAccessTokensProvider.forModel(User, {
      table: 'auth_access_tokens',
      type: 'user_token',
      prefix: 'usr_',
    })
  )

/** A provider, a user's token, and a stand-in for the provider's database read. */
async function tokenFixture(cacheMs: number) {
  const provider = tokenProvider(cacheMs)
  const user = await UserFactory.create()
  const value = new Secret((await provider.create(user)).value!.release())
  const valid = await tokenProvider(0).verify(value)
  const probe = provider as unknown as {
    verifyInDatabase: (v: Secret<string>) => Promise<unknown>
  }
  const real = probe.verifyInDatabase
  return {
    provider,
    user,
    value,
    valid,
    readWith: (read: () => Promise<unknown>) => (probe.verifyInDatabase = read),
    restore: () => (probe.verifyInDatabase = real),
  }
}

test.group('Auth | verified-token cache', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('serves repeat verifications from memory, evicts on logout, and is bounded in time', async ({
    assert,
  }) => {
    const provider = tokenProvider(300)
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

  test('a logout while the token is being verified is not undone by that verification', async ({
    assert,
  }) => {
    const { provider, value, valid, readWith, restore } = await tokenFixture(60000)
    // a verification whose read saw the row, still on its way back when the logout ends
    let answer!: (token: unknown) => void
    readWith(() => new Promise((resolve) => (answer = resolve)))
    const inFlight = provider.verify(value)
    await provider.invalidate(value)
    answer(valid)
    assert.isNotNull(await inFlight)
    restore()
    // what it read is not cached: the token is gone for the next request
    assert.isNull(await provider.verify(value))
  })

  test('a verification starting during a logout does not cache the token being deleted', async ({
    assert,
  }) => {
    const { provider, value, valid, readWith, restore } = await tokenFixture(60000)
    // the logout has evicted the token and its DELETE is on its way: a request
    // arriving now still reads the row
    readWith(async () => valid)
    const logout = provider.invalidate(value)
    assert.isNotNull(await provider.verify(value))
    restore()
    await logout
    assert.isNull(await provider.verify(value))
  })

  test('the bound counts from before the read: a slow verification does not stretch it', async ({
    assert,
  }) => {
    const { provider, user, value, valid, readWith, restore } = await tokenFixture(500)
    // held up 300 ms (a row lock, a slow database) after reading a valid row
    readWith(() => new Promise((resolve) => setTimeout(() => resolve(valid), 300)))
    const startedAt = Date.now()
    assert.isNotNull(await provider.verify(value))
    restore()
    await db.from('auth_access_tokens').where('tokenable_id', user.id).delete()
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + 560 - Date.now())))
    assert.isNull(await provider.verify(value))
  })

  test('a token deleted between its read and its last_used_at write is refused', async ({
    assert,
  }) => {
    const provider = tokenProvider(0)
    const user = await UserFactory.create()
    const token = await provider.create(user)
    const hooked = provider as unknown as { dbRowToAccessToken: (row: any) => unknown }
    const convert = hooked.dbRowToAccessToken.bind(provider)
    hooked.dbRowToAccessToken = (row) => {
      // queued on the connection before the UPDATE that follows the read
      void db.from('auth_access_tokens').where('id', String(row.id)).delete().exec()
      hooked.dbRowToAccessToken = convert
      return convert(row)
    }
    assert.isNull(await provider.verify(new Secret(token.value!.release())))
  })

  test('two requests of one user never share the guard user: each carries its own token', async ({
    assert,
  }) => {
    const provider = withCacheMs(
      60000,
      () =>
        new CachedLucidUserProvider({
          tokens: 'accessTokens',
          model: () => import('#models/user'),
        })
    )
    const user = await UserFactory.create()
    const first = await provider.verifyToken(
      new Secret((await User.accessTokens.create(user)).value!.release())
    )
    const second = await provider.verifyToken(
      new Secret((await User.accessTokens.create(user)).value!.release())
    )
    // What the guard does for each request: find the user, hang the request's token on it.
    const guardUser = async () =>
      (await provider.findById(user.id))!.getOriginal() as User & {
        currentAccessToken: AccessToken
      }
    const a = await guardUser()
    a.currentAccessToken = first!
    const b = await guardUser()
    b.currentAccessToken = second!
    assert.equal(String(a.currentAccessToken.identifier), String(first!.identifier))
    assert.equal(String(b.currentAccessToken.identifier), String(second!.identifier))
    assert.equal(b.walletAddress, user.walletAddress)
    // nor anything inside it: a change to one request's jsonb stays in that request
    ;(a.preferences as Record<string, unknown>).timezone = 'Asia/Tokyo'
    assert.notEqual((b.preferences as Record<string, unknown>).timezone, 'Asia/Tokyo')
    // ...and the second lookup was served from memory.
    await db
      .from('users')
      .where('id', user.id)
      .update({ wallet_address: '0x' + 'a'.repeat(40) })
    const c = await guardUser()
    assert.equal(c.walletAddress, user.walletAddress)
    assert.equal(c.id, user.id)
  })

  test('last_used_at: written for a matching secret only, and at most once a minute', async ({
    assert,
  }) => {
    const provider = tokenProvider(0)
    const user = await UserFactory.create()
    const token = await provider.create(user)
    const value = token.value!.release()
    const lastUsed = async () =>
      (await db.from('auth_access_tokens').where('id', String(token.identifier)).firstOrFail())
        .last_used_at
    assert.isNull(await lastUsed())

    // the right id with a wrong secret: refused, nothing written
    const other = (await provider.create(user)).value!.release()
    const forged = value.slice(0, value.indexOf('.')) + other.slice(other.indexOf('.'))
    assert.isNull(await provider.verify(new Secret(forged)))
    assert.isNull(await lastUsed())

    const verified = await provider.verify(new Secret(value))
    const written = await lastUsed()
    assert.instanceOf(written, Date)
    assert.equal(verified!.lastUsedAt!.getTime(), written.getTime())
    // within the minute: no second write
    await provider.verify(new Secret(value))
    assert.equal((await lastUsed()).getTime(), written.getTime())
    // older than a minute: refreshed
    const old = new Date(Date.now() - 61_000)
    await db
      .from('auth_access_tokens')
      .where('id', String(token.identifier))
      .update({ last_used_at: old })
    await provider.verify(new Secret(value))
    assert.isAbove((await lastUsed()).getTime(), old.getTime() + 60_000)
  })
})
