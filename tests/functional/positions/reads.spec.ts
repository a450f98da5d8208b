import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import { UserFactory } from '#factories/user_factory'
import { userToken } from '#tests/helpers/auth'
import { hourly, snapshotBody } from '#tests/helpers/snapshots'
import { recordSnapshots } from '#services/positions/record_snapshots'
import { DateTime } from 'luxon'
import type { User } from '#models'

async function seed(user: User, snapshots: Record<string, any>[]) {
  return recordSnapshots(
    { kind: 'user', userId: user.id, walletAddress: user.walletAddress },
    snapshots.map(
      (s) => ({ ...s, snapshotAt: DateTime.fromISO(s.snapshotAt, { zone: 'utc' }) }) as any
    )
  )
}

test.group('Positions | GET /positions (latest per protocol and chain)', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('returns the newest snapshot of each (protocol, chain), nobody else’s', async ({
    client,
    assert,
  }) => {
    const alice = await UserFactory.create()
    const bob = await UserFactory.create()
    await seed(alice, [
      ...hourly('2026-11-01T00:00:00Z', 3),
      ...hourly('2026-11-01T00:00:00Z', 2, { protocol: 'compound_v3' }),
      ...hourly('2026-11-01T05:00:00Z', 1, { chainId: 10 }),
    ])
    await seed(bob, hourly('2026-11-02T00:00:00Z', 1))

    const response = await client.get('/api/v1/positions').bearerToken(await userToken(alice))
    response.assertStatus(200)
    const rows = response.body().data.map((p: any) => [p.protocol, p.chainId, p.snapshotAt])
    assert.sameDeepMembers(rows, [
      ['aave_v3', 1, '2026-11-01T02:00:00.000Z'],
      ['aave_v3', 10, '2026-11-01T05:00:00.000Z'],
      ['compound_v3', 1, '2026-11-01T01:00:00.000Z'],
    ])
    assert.isTrue(response.body().data.every((p: any) => p.walletAddress === alice.walletAddress))
    assert.deepEqual(response.body().meta, { nextCursor: null })
  })
})

test.group('Positions | GET /positions/history', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('newest first, filtered, paginated with an opaque cursor', async ({ client, assert }) => {
    const user = await UserFactory.create()
    await seed(user, [
      ...hourly('2026-11-01T00:00:00Z', 10),
      ...hourly('2026-11-01T00:00:00Z', 4, { protocol: 'compound_v3' }),
    ])
    const token = await userToken(user)

    const first = await client
      .get('/api/v1/positions/history')
      .qs({ protocol: 'aave_v3', chainId: 1, limit: 4 })
      .bearerToken(token)
    first.assertStatus(200)
    assert.deepEqual(
      first.body().data.map((p: any) => p.snapshotAt.slice(11, 13)),
      ['09', '08', '07', '06']
    )
    assert.isString(first.body().meta.nextCursor)

    const window = await client
      .get('/api/v1/positions/history')
      .qs({ protocol: 'aave_v3', from: '2026-11-01T02:00:00Z', to: '2026-11-01T04:00:00Z' })
      .bearerToken(token)
    assert.deepEqual(
      window.body().data.map((p: any) => p.snapshotAt.slice(11, 13)),
      ['04', '03', '02']
    )
    assert.isNull(window.body().meta.nextCursor)
  })

  test('every snapshot exactly once across pages, even when new ones arrive between pages', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    await seed(user, hourly('2026-11-01T00:00:00Z', 25))
    const token = await userToken(user)

    const seen: string[] = []
    let cursor: string | null = null
    let page = 0
    do {
      const response = await client
        .get('/api/v1/positions/history')
        .qs({ limit: 7, ...(cursor ? { cursor } : {}) })
        .bearerToken(token)
      response.assertStatus(200)
      seen.push(...response.body().data.map((p: any) => p.snapshotAt))
      cursor = response.body().meta.nextCursor
      // new snapshots land (newer than everything, and one in the past) while the client pages
      if (page === 0) {
        await seed(user, [
          ...hourly('2026-11-03T00:00:00Z', 3),
          ...hourly('2026-10-31T00:00:00Z', 1),
        ])
      }
      page++
    } while (cursor)

    // the newer ones sort before the cursor and are not seen; the older one is seen once, last
    const expected = [
      ...hourly('2026-11-01T00:00:00Z', 25)
        .map((s) => new Date(s.snapshotAt).toISOString())
        .reverse(),
      '2026-10-31T00:00:00.000Z',
    ]
    assert.deepEqual(seen, expected)
    assert.equal(new Set(seen).size, seen.length)
  })

  test('a forged cursor is a 422, not a 500', async ({ client, assert }) => {
    const token = await userToken(await UserFactory.create())
    for (const cursor of [
      'garbage',
      Buffer.from('["x",1]').toString('base64url'),
      Buffer.from("['; drop table positions; --']").toString('base64url'),
    ]) {
      const response = await client
        .get('/api/v1/positions/history')
        .qs({ cursor })
        .bearerToken(token)
      response.assertStatus(422)
      assert.equal(response.body().errors[0].code, 'E_INVALID_CURSOR')
    }
  })

  test('limit must be within 1..200', async ({ client, assert }) => {
    const token = await userToken(await UserFactory.create())
    for (const limit of [0, 201, 'abc']) {
      const response = await client
        .get('/api/v1/positions/history')
        .qs({ limit })
        .bearerToken(token)
      response.assertStatus(422)
      assert.equal(response.body().errors[0].field, 'limit')
    }
  })
})

test.group('Positions | GET /positions/:id', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test("one's own snapshot; another user's is a 404 exactly like a missing one", async ({
    client,
    assert,
  }) => {
    const alice = await UserFactory.create()
    const bob = await UserFactory.create()
    const [aliceSnapshot] = await seed(alice, [snapshotBody()])

    const own = await client
      .get(`/api/v1/positions/${aliceSnapshot.id}`)
      .bearerToken(await userToken(alice))
    own.assertStatus(200)
    assert.equal(own.body().data.id, aliceSnapshot.id)

    const bobToken = await userToken(bob)
    const stolen = await client.get(`/api/v1/positions/${aliceSnapshot.id}`).bearerToken(bobToken)
    const missing = await client
      .get('/api/v1/positions/0190d9a0-0000-7000-8000-000000000000')
      .bearerToken(bobToken)
    stolen.assertStatus(404)
    missing.assertStatus(404)
    assert.deepEqual(stolen.body(), missing.body())
  })
})

test.group('Positions | POST /positions/simulate', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test("applies price changes to the caller's latest snapshot", async ({ client, assert }) => {
    const user = await UserFactory.create()
    await seed(user, [
      snapshotBody({
        snapshotAt: '2026-11-01T00:00:00Z',
        debt: [{ symbol: 'USDC', amount: '1', valueUsd: '1' }],
      }),
      snapshotBody({
        snapshotAt: '2026-11-01T01:00:00Z',
        debt: [{ symbol: 'USDC', amount: '10000', valueUsd: '10000', priceUsd: '1' }],
      }),
    ])
    const response = await client
      .post('/api/v1/positions/simulate')
      .bearerToken(await userToken(user))
      .json({ protocol: 'aave_v3', chainId: 1, priceChanges: { WETH: '-0.2' } })
    response.assertStatus(200)
    const data = response.body().data
    assert.equal(data.snapshotAt, '2026-11-01T01:00:00.000Z')
    assert.equal(data.currentHealthFactor, '1.65')
    assert.equal(data.simulatedHealthFactor, '1.32')
    assert.isFalse(data.liquidatable)
    assert.equal(data.liquidationPrices[0].symbol, 'WETH')
    assert.equal(data.liquidationPrices[0].liquidationPriceUsd, '1212.121212121212121212')
  })

  test('bad changes are 422 with the field; no position is a 404', async ({ client, assert }) => {
    const user = await UserFactory.create()
    const token = await userToken(user)
    const none = await client
      .post('/api/v1/positions/simulate')
      .bearerToken(token)
      .json({ protocol: 'aave_v3', priceChanges: { WETH: '-0.2' } })
    none.assertStatus(404)

    await seed(user, [snapshotBody()])
    for (const [changes, field] of [
      [{ WETH: '-20%' }, 'priceChanges.WETH'],
      [{ WETH: '-1.5' }, 'priceChanges.WETH'],
      [{ BTC: '-0.1' }, 'priceChanges.BTC'],
    ] as const) {
      const response = await client
        .post('/api/v1/positions/simulate')
        .bearerToken(token)
        .json({ protocol: 'aave_v3', priceChanges: changes })
      response.assertStatus(422)
      assert.equal(response.body().errors[0].field, field)
    }
  })
})
