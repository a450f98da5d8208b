import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { DateTime } from 'luxon'
import { decodeFunctionData, getAddress } from 'viem'
import { UserFactory } from '#factories/user_factory'
import { AAVE_V3_POOL_ABI } from '#domain/intents/transactions'
import { recordSnapshots } from '#services/positions/record_snapshots'
import { randomWallet, walletSnapshot as snap } from '#tests/helpers/snapshots'
import { userToken } from '#tests/helpers/auth'
import type { User } from '#models'

/*
 * Several wallets per user (docs/adr/0014): every read that names a position
 * takes `walletAddress`, and the bodies that name one position say which wallet's.
 */

/** The same address in mixed case: filters take any case. */
const shouting = (wallet: string) => `0x${wallet.slice(2).toUpperCase()}`

/**
 * A user with two proven wallets (the sign-in one and w2) and a watched one
 * (w3), each holding Aave v3 on Ethereum; another user watches w2. The wallets
 * API is built elsewhere: the rows are inserted here.
 */
async function household() {
  const owner = await UserFactory.create()
  const watcher = await UserFactory.create()
  const w1 = owner.walletAddress
  const w2 = randomWallet()
  const w3 = randomWallet()
  await db.table('user_wallets').multiInsert([
    { user_id: owner.id, address: w2, kind: 'proven', proof: 'siwe' },
    { user_id: owner.id, address: w3, kind: 'watched', proof: null },
    { user_id: watcher.id, address: w2, kind: 'watched', proof: null },
  ])
  return {
    owner,
    watcher,
    w1,
    w2,
    w3,
    ownerToken: await userToken(owner),
    watcherToken: await userToken(watcher),
  }
}

async function alertsOf(user: User) {
  return db
    .from('alerts')
    .where('user_id', user.id)
    .where('channel', 'in_app')
    .orderByRaw("metadata->>'snapshotId'")
}

test.group('Wallets | reads per wallet', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('GET /positions and /positions/history: walletAddress (any case) names one wallet; another is an empty list', async ({
    assert,
    client,
  }) => {
    const { owner, w1, w2, w3, ownerToken, watcherToken } = await household()
    await recordSnapshots({ kind: 'service' }, [snap(w1, 2, 1), snap(w2, 1.8, 1), snap(w3, 1.7, 1)])
    await recordSnapshots({ kind: 'service' }, [snap(w2, 1.9, 2)])

    const latest = async (token: string, query = '') => {
      const response = await client.get(`/api/v1/positions${query}`).bearerToken(token)
      response.assertStatus(200)
      return response
        .body()
        .data.map((p: { walletAddress: string; healthFactor: string }) => [
          p.walletAddress,
          p.healthFactor,
        ])
    }
    assert.sameDeepMembers(await latest(ownerToken), [
      [w1, '2'],
      [w2, '1.9'],
      [w3, '1.7'],
    ])
    assert.deepEqual(await latest(ownerToken, `?walletAddress=${shouting(w2)}`), [[w2, '1.9']])
    assert.deepEqual(await latest(ownerToken, `?walletAddress=${w3}&protocol=aave_v3`), [
      [w3, '1.7'],
    ])
    assert.deepEqual(await latest(ownerToken, `?walletAddress=${randomWallet()}`), [])
    // the watcher's own copy of the public data, nothing of the owner's sign-in wallet
    assert.deepEqual(await latest(watcherToken, `?walletAddress=${w2}`), [[w2, '1.9']])
    assert.deepEqual(await latest(watcherToken, `?walletAddress=${w1}`), [])

    const history = async (token: string, wallet: string) => {
      const response = await client
        .get(`/api/v1/positions/history?walletAddress=${wallet}`)
        .bearerToken(token)
      response.assertStatus(200)
      return response.body()
    }
    const ofW2 = await history(ownerToken, shouting(w2))
    assert.deepEqual(
      ofW2.data.map((p: { walletAddress: string; snapshotAt: string }) => [
        p.walletAddress,
        p.snapshotAt,
      ]),
      [
        [w2, '2026-11-01T00:02:00.000Z'],
        [w2, '2026-11-01T00:01:00.000Z'],
      ]
    )
    const ids = await db
      .from('positions')
      .where({ user_id: owner.id, wallet_address: w2 })
      .orderBy('snapshot_at', 'desc')
      .select('id')
    assert.deepEqual(
      ofW2.data.map((p: { id: string }) => p.id),
      ids.map((r) => r.id)
    )
    assert.deepEqual(await history(ownerToken, randomWallet()), {
      data: [],
      meta: { nextCursor: null },
    })
    assert.deepEqual(await history(watcherToken, w3), { data: [], meta: { nextCursor: null } })
  })

  test('a user’s own ingest stays theirs: a watcher of the wallet sees none of its snapshots, alerts or intents', async ({
    assert,
    client,
  }) => {
    const { watcher, w2, ownerToken, watcherToken } = await household()
    await recordSnapshots({ kind: 'service' }, [snap(w2, 2, 1)])
    // the owner's private ingest of w2 (a user token), at risk: an alert, and an intent on it
    ;(
      await client
        .post('/api/v1/positions')
        .bearerToken(ownerToken)
        .json({
          walletAddress: shouting(w2),
          protocol: 'aave_v3',
          chainId: 1,
          healthFactor: '1.1',
          collateral: [
            { symbol: 'WETH', amount: '10', valueUsd: '20000', liquidationThreshold: '0.825' },
          ],
          debt: [{ symbol: 'USDT', amount: '15000', valueUsd: '15000' }],
          snapshotAt: '2026-11-01T00:05:00Z',
        })
    ).assertStatus(201)
    ;(
      await client
        .post('/api/v1/intents')
        .bearerToken(ownerToken)
        .json({
          walletAddress: w2,
          protocol: 'aave_v3',
          chainId: 1,
          condition: { metric: 'health_factor', operator: 'lt', value: '1.2' },
          action: { type: 'notify', asset: 'USDT', amount: '1' },
        })
    ).assertStatus(201)
    const owned = await client.get(`/api/v1/alerts?walletAddress=${w2}`).bearerToken(ownerToken)
    assert.isAbove(owned.body().data.length, 0)

    const read = async (path: string) => {
      const response = await client.get(path).bearerToken(watcherToken)
      response.assertStatus(200)
      return response.body().data
    }
    const history = await read(`/api/v1/positions/history?walletAddress=${w2}`)
    assert.deepEqual(
      history.map((p: { snapshotAt: string; healthFactor: string }) => [
        p.snapshotAt,
        p.healthFactor,
      ]),
      [['2026-11-01T00:01:00.000Z', '2']]
    )
    assert.deepEqual(
      (await read(`/api/v1/positions?walletAddress=${w2}`)).map(
        (p: { healthFactor: string }) => p.healthFactor
      ),
      ['2']
    )
    assert.deepEqual(await read(`/api/v1/alerts?walletAddress=${w2}`), [])
    assert.deepEqual(await read('/api/v1/alerts'), [])
    assert.deepEqual(await read(`/api/v1/intents?walletAddress=${w2}`), [])
    assert.lengthOf(await db.from('positions').where('user_id', watcher.id), 1)
  })

  test('GET /alerts?walletAddress: only the alerts about that wallet’s positions', async ({
    assert,
    client,
  }) => {
    const { owner, w1, w2, w3, ownerToken, watcherToken } = await household()
    await recordSnapshots({ kind: 'service' }, [snap(w1, 1.2, 1), snap(w2, 1.3, 1), snap(w3, 2, 1)])
    const stored = await alertsOf(owner)
    const byWallet = (wallet: string) =>
      stored
        .filter((a) => a.wallet_address === wallet)
        .map((a) => a.id)
        .sort()
    assert.lengthOf(byWallet(w1), 1)
    assert.lengthOf(byWallet(w2), 1)

    const list = async (token: string, query: string) => {
      const response = await client.get(`/api/v1/alerts?${query}`).bearerToken(token)
      response.assertStatus(200)
      return response.body().data
    }
    const ofW2 = await list(ownerToken, `walletAddress=${shouting(w2)}&channel=in_app`)
    assert.deepEqual(ofW2.map((a: { id: string }) => a.id).sort(), byWallet(w2))
    assert.include(ofW2[0].message, '1.300')
    // each alert says which wallet it is about
    assert.deepEqual(
      ofW2.map((a: { walletAddress: string }) => a.walletAddress),
      byWallet(w2).map(() => w2)
    )
    assert.deepEqual(
      (await list(ownerToken, `walletAddress=${w1}&channel=in_app`)).map(
        (a: { id: string }) => a.id
      ),
      byWallet(w1)
    )
    assert.deepEqual(await list(ownerToken, `walletAddress=${w3}`), [])
    assert.deepEqual(await list(ownerToken, `walletAddress=${randomWallet()}`), [])
    // the watcher's own alert about its copy of w2; none about the owner's sign-in wallet
    const watcherAlerts = await list(watcherToken, `walletAddress=${w2}&channel=in_app`)
    assert.lengthOf(watcherAlerts, 1)
    assert.notInclude(byWallet(w2), watcherAlerts[0].id)
    assert.deepEqual(await list(watcherToken, `walletAddress=${w1}`), [])
  })
})

test.group('Wallets | simulate and snooze name a wallet', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('simulate: several wallets hold the position → 422 naming them; one named → its snapshot; another → 404', async ({
    assert,
    client,
  }) => {
    const { owner, w1, w2, w3, ownerToken } = await household()
    await recordSnapshots({ kind: 'service' }, [
      snap(w1, 2, 1),
      snap(w2, 1.5, 1),
      snap(w3, 1.7, 1),
      snap(w3, 1.6, 1, { protocol: 'compound_v3' }),
    ])
    const simulate = (body: object) =>
      client
        .post('/api/v1/positions/simulate')
        .bearerToken(ownerToken)
        .json({ protocol: 'aave_v3', chainId: 1, priceChanges: { WETH: '-0.1' }, ...body })

    const ambiguous = await simulate({})
    ambiguous.assertStatus(422)
    assert.deepEqual(ambiguous.body().errors, [
      {
        code: 'E_WALLET_AMBIGUOUS',
        field: 'walletAddress',
        message: `Several of your wallets hold aave_v3 on chain 1 (${[w1, w2, w3].sort().join(', ')}): name one in walletAddress`,
      },
    ])

    const named = await simulate({ walletAddress: shouting(w2) })
    named.assertStatus(200)
    const w2Row = await db
      .from('positions')
      .where({ user_id: owner.id, wallet_address: w2 })
      .firstOrFail()
    assert.equal(named.body().data.snapshotId, w2Row.id)
    assert.equal(named.body().data.currentHealthFactor, '1.5')

    // only one wallet holds compound_v3: it is the one meant
    const single = await simulate({ protocol: 'compound_v3' })
    single.assertStatus(200)
    const w3Compound = await db
      .from('positions')
      .where({ user_id: owner.id, wallet_address: w3, protocol: 'compound_v3' })
      .firstOrFail()
    assert.equal(single.body().data.snapshotId, w3Compound.id)

    for (const body of [
      { walletAddress: randomWallet() },
      { walletAddress: w1, protocol: 'compound_v3' },
      { protocol: 'morpho' },
    ]) {
      const missing = await simulate(body)
      missing.assertStatus(404)
      assert.equal(missing.body().errors[0].code, 'E_NOT_FOUND')
    }
  })

  test('snooze: ambiguity is a 422; a named wallet is answered back and only its alerts are muted', async ({
    assert,
    client,
  }) => {
    const { owner, watcher, w1, w2, ownerToken } = await household()
    await recordSnapshots({ kind: 'service' }, [snap(w1, 2, 1), snap(w2, 2, 1)])
    const until = DateTime.utc().plus({ days: 1 }).startOf('second').toISO({
      suppressMilliseconds: false,
    })!
    const snooze = (body: object) =>
      client
        .post('/api/v1/positions/snooze')
        .bearerToken(ownerToken)
        .json({ protocol: 'aave_v3', chainId: 1, until, ...body })

    const ambiguous = await snooze({})
    ambiguous.assertStatus(422)
    assert.deepEqual(ambiguous.body().errors, [
      {
        code: 'E_WALLET_AMBIGUOUS',
        field: 'walletAddress',
        message: `Several of your wallets hold aave_v3 on chain 1 (${[w1, w2].sort().join(', ')}): name one in walletAddress`,
      },
    ])
    const unknown = await snooze({ walletAddress: randomWallet() })
    unknown.assertStatus(404)
    assert.equal(unknown.body().errors[0].code, 'E_NOT_FOUND')

    const snoozed = await snooze({ walletAddress: shouting(w2) })
    snoozed.assertStatus(200)
    assert.deepEqual(snoozed.body(), {
      data: {
        protocol: 'aave_v3',
        chainId: 1,
        until: DateTime.fromISO(until).toUTC().toISO(),
        walletAddress: w2,
      },
    })
    // a position no wallet holds yet: the sign-in wallet's, answered as before wallets
    const ahead = await snooze({ protocol: 'morpho' })
    ahead.assertStatus(200)
    assert.deepEqual(ahead.body(), {
      data: { protocol: 'morpho', chainId: 1, until: DateTime.fromISO(until).toUTC().toISO() },
    })
    assert.deepEqual(
      (
        await db
          .from('position_snoozes')
          .where('user_id', owner.id)
          .orderBy('protocol')
          .select('wallet_address', 'protocol')
      ).map((z) => [z.wallet_address, z.protocol]),
      [
        [w2, 'aave_v3'],
        [w1, 'morpho'],
      ]
    )

    // both wallets fall to 1.2: the owner hears of w1 only; the watcher of w2 still hears of w2
    await recordSnapshots({ kind: 'service' }, [snap(w1, 1.2, 2), snap(w2, 1.2, 2)])
    assert.deepEqual(
      (await alertsOf(owner)).map((a) => a.wallet_address),
      [w1]
    )
    assert.deepEqual(
      (await alertsOf(watcher)).map((a) => a.wallet_address),
      [w2]
    )
  })
})

test.group('Wallets | intents act for proven wallets', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  const intentBody = (overrides: Record<string, unknown> = {}) => ({
    name: 'Repay if risky',
    protocol: 'aave_v3',
    chainId: 1,
    condition: { metric: 'health_factor', operator: 'lt', value: '1.2' },
    action: { type: 'repay', asset: 'USDT', amount: '1000' },
    cooldownSeconds: 0,
    ...overrides,
  })

  test('a watched wallet is 422 E_WALLET_WATCHED, a wallet not on the list 422; nothing is stored', async ({
    assert,
    client,
  }) => {
    const { owner, w3, ownerToken } = await household()
    const watched = await client
      .post('/api/v1/intents')
      .bearerToken(ownerToken)
      .json(intentBody({ walletAddress: shouting(w3) }))
    watched.assertStatus(422)
    assert.deepEqual(watched.body().errors, [
      {
        code: 'E_WALLET_WATCHED',
        field: 'walletAddress',
        message:
          'This wallet is only watched: intents act for proven wallets, as no transaction is prepared for a wallet you have not shown you control. Prove it first',
      },
    ])
    const stranger = await client
      .post('/api/v1/intents')
      .bearerToken(ownerToken)
      .json(intentBody({ walletAddress: randomWallet() }))
    stranger.assertStatus(422)
    assert.deepEqual(stranger.body().errors, [
      {
        code: 'E_VALIDATION_ERROR',
        field: 'walletAddress',
        message: 'The walletAddress field must be one of your proven wallets',
      },
    ])
    assert.lengthOf(await db.from('intents').where('user_id', owner.id), 0)
  })

  test('an intent on the second proven wallet fires on that wallet’s snapshot only; lists filter by wallet', async ({
    assert,
    client,
  }) => {
    const { owner, watcher, w1, w2, ownerToken, watcherToken } = await household()
    const created = await client
      .post('/api/v1/intents')
      .bearerToken(ownerToken)
      .json(intentBody({ walletAddress: shouting(w2) }))
    created.assertStatus(201)
    assert.containsSubset(created.body().data, { walletAddress: w2, protocol: 'aave_v3' })
    const onSignIn = await client.post('/api/v1/intents').bearerToken(ownerToken).json(intentBody())
    onSignIn.assertStatus(201)
    assert.equal(onSignIn.body().data.walletAddress, w1)
    const id = created.body().data.id

    const list = async (token: string, query: string) => {
      const response = await client.get(`/api/v1/intents?${query}`).bearerToken(token)
      response.assertStatus(200)
      return response
        .body()
        .data.map((i: { id: string; walletAddress: string }) => [i.id, i.walletAddress])
    }
    assert.deepEqual(await list(ownerToken, `walletAddress=${shouting(w2)}`), [[id, w2]])
    assert.deepEqual(await list(ownerToken, `walletAddress=${w1}`), [[onSignIn.body().data.id, w1]])
    assert.deepEqual(await list(ownerToken, `walletAddress=${randomWallet()}`), [])
    assert.deepEqual(await list(watcherToken, `walletAddress=${w2}`), [])

    // the wallet an intent acts for cannot be changed
    const moved = await client
      .patch(`/api/v1/intents/${id}`)
      .bearerToken(ownerToken)
      .json({ walletAddress: w1 })
    moved.assertStatus(422)
    assert.equal((await db.from('intents').where('id', id).first()).wallet_address, w2)

    // the sign-in wallet at risk, w2 healthy: the sign-in wallet's intent fires, w2's does not
    await recordSnapshots({ kind: 'service' }, [snap(w1, 2, 1), snap(w2, 2, 1)])
    await recordSnapshots({ kind: 'service' }, [snap(w1, 1.1, 2)])
    assert.lengthOf(await db.from('intent_executions').where('intent_id', id), 0)
    assert.lengthOf(
      await db.from('intent_executions').where('intent_id', onSignIn.body().data.id),
      1
    )
    // w2 at risk: it fires on the owner's w2 snapshot, for w2
    await recordSnapshots({ kind: 'service' }, [snap(w2, 1.1, 3)])
    const executions = await db.from('intent_executions').where('intent_id', id)
    assert.lengthOf(executions, 1)
    const w2Snapshot = await db
      .from('positions')
      .where({ user_id: owner.id, wallet_address: w2 })
      .orderBy('snapshot_at', 'desc')
      .firstOrFail()
    assert.equal(executions[0].snapshot_id, w2Snapshot.id)
    const decoded = decodeFunctionData({
      abi: AAVE_V3_POOL_ABI,
      data: executions[0].transaction.data,
    })
    assert.equal(decoded.args![3], getAddress(w2))
    assert.lengthOf(
      await db.from('intent_executions').where('intent_id', onSignIn.body().data.id),
      1
    )
    // the watcher's copy of w2 fires nothing of the owner's
    assert.lengthOf(await db.from('intent_executions').where('user_id', watcher.id), 0)
  })
})
