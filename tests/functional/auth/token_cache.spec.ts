import { test } from '@japa/runner'
import pg from 'pg'
import dbConfig from '#config/database'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { Secret } from '@adonisjs/core/helpers'
import type { AccessToken } from '@adonisjs/auth/access_tokens'
import {
  CachedDbAccessTokensProvider,
  CachedLucidUserProvider,
} from '#infrastructure/auth/cached_providers'
import { UserFactory } from '#factories/user_factory'
import { ApiClient, User } from '#models'
import revocations from '#infrastructure/auth/revocations'
import { TcpProxy } from '#tests/helpers/tcp_proxy'

const BOUNDS = ['ACCESS_TOKEN_CACHE_MS', 'ACCESS_TOKEN_CACHE_NOTIFIED_MS'] as const

/**
 * A provider built while the cache bounds are `ms`, or `unheard`/`heard` (the
 * caches read them when created): whether this process hears revocations or
 * not, entries live `ms`.
 */
function withCacheMs<T>(ms: number | { unheard: number; heard: number }, create: () => T): T {
  const previous = BOUNDS.map((name) => process.env[name])
  const [unheard, heard] = typeof ms === 'number' ? [ms, ms] : [ms.unheard, ms.heard]
  process.env.ACCESS_TOKEN_CACHE_MS = String(unheard)
  process.env.ACCESS_TOKEN_CACHE_NOTIFIED_MS = String(heard)
  try {
    return create()
  } finally {
    BOUNDS.forEach((name, i) =>
      previous[i] === undefined ? delete process.env[name] : (process.env[name] = previous[i])
    )
  }
}

const tokenProvider = (cacheMs: number | { unheard: number; heard: number }) =>
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

/** A token of a new user with `walletAddress`, through a provider whose database reads are counted. */
async function countedToken(cacheMs: Parameters<typeof tokenProvider>[0], walletAddress: string) {
  const provider = tokenProvider(cacheMs)
  const user = await UserFactory.merge({ walletAddress }).create()
  const value = new Secret((await provider.create(user)).value!.release())
  const probe = provider as unknown as {
    verifyInDatabase: (v: Secret<string>) => Promise<unknown>
  }
  const read = probe.verifyInDatabase.bind(provider)
  let reads = 0
  probe.verifyInDatabase = (v) => (reads++, read(v))
  return { verify: () => provider.verify(value), reads: () => reads }
}

test.group('Auth | verified-token cache', (group) => {
  // listening before the first test: (re)connecting empties every cache
  group.setup(() => revocations.start())
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

/** Resolves with the payloads heard on the channel while `act` runs (and a moment after). */
async function heardDuring(act: () => Promise<unknown>): Promise<string[]> {
  const client = new pg.Client(dbConfig.connections.postgres.connection as pg.ClientConfig)
  const heard: string[] = []
  client.on('notification', (m) => {
    // every listening process pings itself on the channel
    if (!m.payload?.startsWith('ping:')) heard.push(m.payload ?? '')
  })
  await client.connect()
  try {
    await client.query('listen access_tokens_revoked')
    await act()
    await new Promise((resolve) => setTimeout(resolve, 150))
    return heard
  } finally {
    await client.end()
  }
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 3_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return true
}

// Committed rows: notifications are delivered when a transaction commits.
test.group('Auth | revocations heard from PostgreSQL', (group) => {
  group.setup(() => revocations.start())
  group.each.teardown(async () => {
    await db.from('users').where('wallet_address', 'like', `${WALLETS}%`).delete()
    await db.from('api_clients').where('name', 'like', 'revocation-test-%').delete()
  })
  const WALLETS = '0x00000000000000000000000000000000000e'
  const wallet = (n: number) => `${WALLETS}${String(n).padStart(4, '0')}`
  /** Kills the listener's connection, as a restart or a proxy would. */
  const killListener = () => db.rawQuery('select pg_terminate_backend(?)', [revocations.backendPid])

  test('deleting a token announces it; a changed token too; last_used_at does not', async ({
    assert,
  }) => {
    const provider = tokenProvider(0)
    const user = await UserFactory.merge({ walletAddress: wallet(1) }).create()
    const a = await provider.create(user)
    const b = await provider.create(user)
    const tokens = () => db.from('auth_access_tokens')
    const heard = await heardDuring(async () => {
      await tokens().where('id', String(a.identifier)).update({ last_used_at: new Date() })
      await tokens().where('id', String(a.identifier)).update({ expires_at: new Date() })
      await tokens().where('id', String(b.identifier)).delete()
    })
    assert.deepEqual(heard, [
      `auth_access_tokens:${a.identifier}`,
      `auth_access_tokens:${b.identifier}`,
    ])

    // up to 100 rows are listed; more in one statement say "all of them"
    const c = await provider.create(user)
    const cascade = await heardDuring(() => db.from('users').where('id', user.id).delete())
    assert.lengthOf(cascade, 1)
    const [table, ids] = cascade[0].split(':')
    assert.equal(table, 'auth_access_tokens')
    assert.sameMembers(ids.split(','), [String(a.identifier), String(c.identifier)])
    const other = await UserFactory.merge({ walletAddress: wallet(2) }).create()
    for (let i = 0; i < 101; i++) await provider.create(other)
    assert.deepEqual(
      await heardDuring(() =>
        db.from('auth_access_tokens').where('tokenable_id', other.id).delete()
      ),
      ['auth_access_tokens:*']
    )
  })

  test('service tokens are announced on their own table; a truncate names every token', async ({
    assert,
  }) => {
    const client = await ApiClient.create({ name: 'revocation-test-feed' })
    const token = await ApiClient.accessTokens.create(client, ['signals:write'])
    assert.deepEqual(
      await heardDuring(() => db.from('api_clients').where('id', client.id).delete()),
      [`api_client_tokens:${token.identifier}`]
    )
    assert.deepEqual(await heardDuring(() => db.rawQuery('truncate api_client_tokens')), [
      'api_client_tokens:*',
    ])
  })

  test('a token revoked by another process is dropped at once, not when its time is up', async ({
    assert,
  }) => {
    assert.isTrue(revocations.listening)
    const provider = tokenProvider(60_000)
    const user = await UserFactory.merge({ walletAddress: wallet(3) }).create()
    const value = new Secret((await provider.create(user)).value!.release())
    assert.isNotNull(await provider.verify(value))
    // what logout on another replica does, committed
    await db.from('auth_access_tokens').where('tokenable_id', user.id).delete()
    assert.isTrue(await until(async () => (await provider.verify(value)) === null))
  })

  test('losing the listener empties the cache, and so does getting it back', async ({ assert }) => {
    // the unheard bound is longer than the reconnection: only the emptying explains a read
    const token = await countedToken({ unheard: 10_000, heard: 60_000 }, wallet(4))

    assert.isNotNull(await token.verify())
    assert.isNotNull(await token.verify())
    assert.equal(token.reads(), 1)

    await killListener()
    assert.isTrue(await until(() => !revocations.listening))
    assert.isNotNull(await token.verify())
    assert.equal(token.reads(), 2)
    assert.isNotNull(await token.verify())
    assert.equal(token.reads(), 2)

    // back (retried every second): what was cached meanwhile went unchecked, it is dropped
    assert.isTrue(await until(() => revocations.listening))
    assert.isNotNull(await token.verify())
    assert.equal(token.reads(), 3)
  })

  test('a connection that goes silent (no error, no close) stops counting within seconds', async ({
    assert,
  }) => {
    // The listener reconnects through a relay that will stop forwarding without closing.
    const connection = dbConfig.connections.postgres.connection as pg.ClientConfig
    const target = new pg.Client(connection) // never connected: where it points, resolved
    const proxy = await new TcpProxy({ host: target.host, port: target.port }).start()
    const original = { ...connection }
    Object.assign(connection, {
      connectionString: undefined,
      host: '127.0.0.1',
      port: proxy.port,
      user: target.user,
      password: target.password,
      database: target.database,
    })
    try {
      await killListener()
      assert.isTrue(
        await until(() => revocations.listening && proxy.connections > 0, 5_000),
        'listening through the relay'
      )
      const token = await countedToken({ unheard: 10_000, heard: 60_000 }, wallet(5))
      assert.isNotNull(await token.verify())
      assert.isNotNull(await token.verify())
      assert.equal(token.reads(), 1)

      proxy.freeze()
      // the heartbeat: a ping every 2 s, its echo due within 1 s
      assert.isTrue(await until(() => !revocations.listening, 4_000), 'silence noticed')
      assert.isNotNull(await token.verify())
      assert.equal(token.reads(), 2, 'what was cached while it could not hear was dropped')
    } finally {
      for (const key of Object.keys(connection)) delete (connection as Record<string, unknown>)[key]
      Object.assign(connection, original)
      await proxy.stop()
    }
    assert.isTrue(await until(() => revocations.listening, 5_000), 'back on a direct connection')
  }).timeout(20_000)

  test('without the announcing triggers enabled, a process does not count as listening', async ({
    assert,
  }) => {
    await db.rawQuery('alter table auth_access_tokens disable trigger auth_access_tokens_deleted')
    try {
      await killListener()
      assert.isTrue(await until(() => !revocations.listening))
      // reconnections keep failing the check
      await new Promise((resolve) => setTimeout(resolve, 1_500))
      assert.isFalse(revocations.listening)
    } finally {
      await db.rawQuery('alter table auth_access_tokens enable trigger auth_access_tokens_deleted')
    }
    assert.isTrue(await until(() => revocations.listening))
  })
})
