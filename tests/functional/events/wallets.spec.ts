import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { UserFactory } from '#factories/user_factory'
import { recordSnapshots } from '#services/positions/record_snapshots'
import { randomWallet, walletSnapshot as snap } from '#tests/helpers/snapshots'
import { replayInto } from '#services/events/replay'
import { userToken } from '#tests/helpers/auth'
import { integrated } from '#tests/helpers/events'
import { truncateAll } from '#tests/helpers/database'

/*
 * GET /me/state and GET /events per wallet (docs/adr/0014): a user may hold
 * the same (protocol, chain) on two wallets, and each is a position of its own.
 * Committed rows: events are sealed by the integrator after commit (ADR 0012).
 */

const shouting = (wallet: string) => `0x${wallet.slice(2).toUpperCase()}`

interface EventJson {
  aggregateType: string
  aggregateId: string
  type: string
  payload: Record<string, any>
}

/**
 * The owner's sign-in wallet w1 and proven w2 hold Aave v3 on Ethereum; w2 is
 * at risk (an alert) and has an intent; a second user watches w2.
 */
async function household(client: any) {
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
  const ownerToken = await userToken(owner)
  const watcherToken = await userToken(watcher)
  await recordSnapshots({ kind: 'service' }, [snap(w1, 2, 1), snap(w2, 2, 1)])
  await recordSnapshots({ kind: 'service' }, [snap(w1, 1.9, 2), snap(w2, 1.3, 2)])
  const intent = await client
    .post('/api/v1/intents')
    .bearerToken(ownerToken)
    .json({
      walletAddress: w2,
      protocol: 'aave_v3',
      chainId: 1,
      condition: { metric: 'health_factor', operator: 'lt', value: '1.1' },
      action: { type: 'repay', asset: 'USDT', amount: '100' },
    })
  intent.assertStatus(201)
  const alerts = await db.from('alerts').where('user_id', owner.id).select('id', 'wallet_address')
  return {
    owner,
    watcher,
    w1,
    w2,
    w3,
    ownerToken,
    watcherToken,
    intentId: intent.body().data.id as string,
    alertIds: (wallet: string) =>
      alerts
        .filter((a) => a.wallet_address === wallet)
        .map((a) => a.id as string)
        .sort(),
  }
}

test.group('Wallets | GET /me/state and GET /events per wallet', (group) => {
  group.each.setup(async () => {
    await truncateAll()
    return async () => {
      await db.rawQuery('drop schema if exists replay_wallets cascade')
      await truncateAll()
    }
  })

  test('/me/state keeps one position per wallet; walletAddress narrows positions, alerts and intents to it', async ({
    assert,
    client,
  }) => {
    const { w1, w2, w3, ownerToken, watcherToken, intentId, alertIds } = await household(client)
    assert.isNotEmpty(alertIds(w2))
    await integrated()
    const state = async (token: string, query = '') => {
      const response = await client.get(`/api/v1/me/state${query}`).bearerToken(token)
      response.assertStatus(200)
      return response.body().data
    }

    const all = await state(ownerToken)
    assert.deepEqual(
      all.positions.map((p: { walletAddress: string; healthFactor: string }) => [
        p.walletAddress,
        p.healthFactor,
      ]),
      [
        [w1, '1.9'],
        [w2, '1.3'],
      ].sort((a, b) => a[0].localeCompare(b[0]))
    )
    // the rebuilt positions are the live ones
    const live = (await client.get('/api/v1/positions').bearerToken(ownerToken))
      .body()
      .data.map(({ risk: _, ...position }: Record<string, unknown>) => position)
    assert.deepEqual(all.positions, live)

    const ofW2 = await state(ownerToken, `?walletAddress=${shouting(w2)}`)
    assert.deepEqual(
      ofW2.positions.map((p: { walletAddress: string; healthFactor: string }) => [
        p.walletAddress,
        p.healthFactor,
      ]),
      [[w2, '1.3']]
    )
    assert.deepEqual(
      ofW2.openAlerts.map((a: { id: string }) => a.id),
      alertIds(w2)
    )
    assert.deepEqual(
      ofW2.activeIntents.map((i: { id: string }) => i.id),
      [intentId]
    )
    const ofW1 = await state(ownerToken, `?walletAddress=${w1}`)
    assert.deepEqual(
      ofW1.positions.map((p: { walletAddress: string }) => p.walletAddress),
      [w1]
    )
    assert.deepEqual(ofW1.openAlerts, [])
    assert.deepEqual(ofW1.activeIntents, [])
    for (const wallet of [w3, randomWallet()]) {
      const none = await state(ownerToken, `?walletAddress=${wallet}`)
      assert.deepEqual([none.positions, none.openAlerts, none.activeIntents], [[], [], []])
    }
    // the watcher: its own copy of w2 and its own alert, nothing of the owner's
    const watching = await state(watcherToken, `?walletAddress=${w2}`)
    assert.deepEqual(
      watching.positions.map((p: { walletAddress: string; healthFactor: string }) => [
        p.walletAddress,
        p.healthFactor,
      ]),
      [[w2, '1.3']]
    )
    assert.notDeepEqual(watching.positions[0].id, ofW2.positions[0].id)
    assert.lengthOf(watching.openAlerts, 1)
    assert.notInclude(alertIds(w2), watching.openAlerts[0].id)
    assert.deepEqual(watching.activeIntents, [])
  })

  test('GET /events?walletAddress: that wallet’s position streams, alerts and intents; the watcher sees only its own', async ({
    assert,
    client,
  }) => {
    const { owner, w1, w2, w3, ownerToken, watcherToken, intentId, alertIds } =
      await household(client)
    // the owner's private ingest of w2: never the watcher's
    ;(
      await client
        .post('/api/v1/positions')
        .bearerToken(ownerToken)
        .json({
          walletAddress: w2,
          protocol: 'aave_v3',
          chainId: 1,
          healthFactor: '1.5',
          collateral: [
            { symbol: 'WETH', amount: '10', valueUsd: '20000', liquidationThreshold: '0.825' },
          ],
          debt: [{ symbol: 'USDT', amount: '11000', valueUsd: '11000' }],
          snapshotAt: '2026-11-01T00:03:00Z',
        })
    ).assertStatus(201)
    await integrated()
    const events = async (token: string, query: string): Promise<EventJson[]> => {
      const response = await client.get(`/api/v1/events?${query}`).bearerToken(token)
      response.assertStatus(200)
      return response.body().data
    }

    const ofW2 = await events(ownerToken, `walletAddress=${shouting(w2)}&limit=200`)
    const positions = ofW2.filter((e) => e.aggregateType === 'position')
    assert.deepEqual(
      positions.map((e) => [e.type, e.payload.walletAddress, e.payload.healthFactor]),
      [
        ['position.snapshot_recorded', w2, '2'],
        ['position.snapshot_recorded', w2, '1.3'],
        ['position.snapshot_recorded', w2, '1.5'],
      ]
    )
    assert.lengthOf(new Set(positions.map((e) => e.aggregateId)), 1, 'one stream for w2')
    assert.sameMembers(
      [...new Set(ofW2.filter((e) => e.aggregateType === 'alert').map((e) => e.aggregateId))],
      alertIds(w2)
    )
    assert.deepEqual(
      ofW2
        .filter((e) => e.aggregateType === 'intent')
        .map((e) => [e.aggregateId, e.type, e.payload.walletAddress]),
      [[intentId, 'intent.created', w2]]
    )
    assert.deepEqual([...new Set(ofW2.map((e) => e.aggregateType))].sort(), [
      'alert',
      'intent',
      'position',
    ])

    const ofW1 = await events(ownerToken, `walletAddress=${w1}&limit=200`)
    assert.deepEqual(
      ofW1.map((e) => [e.aggregateType, e.payload.walletAddress, e.payload.healthFactor]),
      [
        ['position', w1, '2'],
        ['position', w1, '1.9'],
      ]
    )
    assert.notEqual(ofW1[0].aggregateId, positions[0].aggregateId, 'w1 and w2 are two streams')
    // combined with the other filters
    assert.deepEqual(
      (await events(ownerToken, `walletAddress=${w2}&aggregateType=intent`)).map(
        (e) => e.aggregateId
      ),
      [intentId]
    )
    for (const wallet of [w3, randomWallet()]) {
      assert.deepEqual(await events(ownerToken, `walletAddress=${wallet}`), [])
    }

    // the watcher: its own stream of the public snapshots, its own alert, not the private one
    const watching = await events(watcherToken, `walletAddress=${w2}&limit=200`)
    const watcherPositions = watching.filter((e) => e.aggregateType === 'position')
    assert.deepEqual(
      watcherPositions.map((e) => [e.payload.walletAddress, e.payload.healthFactor]),
      [
        [w2, '2'],
        [w2, '1.3'],
      ]
    )
    assert.notEqual(watcherPositions[0].aggregateId, positions[0].aggregateId)
    assert.isTrue(watching.every((e) => e.payload.userId !== owner.id))
    assert.isFalse(
      watching.some((e) => alertIds(w2).includes(e.aggregateId) || e.aggregateId === intentId)
    )
  })

  test('a replay rebuilds one head per wallet and finds no difference', async ({
    assert,
    client,
  }) => {
    await household(client)
    await integrated()
    const report = await replayInto('replay_wallets')
    assert.deepEqual(report.differences, [])
    const { rows } = await db.rawQuery(
      'select count(*)::int as n from replay_wallets.position_heads'
    )
    assert.equal(rows[0].n, 3, 'the owner’s w1 and w2, the watcher’s w2')
  })

  test('a removed proven wallet leaves /me/state from its removal on, and a replay agrees', async ({
    assert,
    client,
  }) => {
    const { owner, w1, w2, ownerToken } = await household(client)
    await integrated()
    const before = DateTime.utc()
    const wallet = await db
      .from('user_wallets')
      .where({ user_id: owner.id, address: w2 })
      .firstOrFail()
    ;(await client.delete(`/api/v1/me/wallets/${wallet.id}`).bearerToken(ownerToken)).assertStatus(
      204
    )
    await integrated()

    const walletsIn = async (query: string) => {
      const response = await client.get(`/api/v1/me/state${query}`).bearerToken(ownerToken)
      response.assertStatus(200)
      return response.body().data.positions.map((p: { walletAddress: string }) => p.walletAddress)
    }
    // its snapshots stay in the history, but it is no longer a position of the user's
    assert.deepEqual(await walletsIn(''), [w1])
    assert.sameMembers(await walletsIn(`?at=${encodeURIComponent(before.toISO()!)}`), [w1, w2])
    assert.isAbove(
      (await db.from('positions').where({ user_id: owner.id, wallet_address: w2 })).length,
      0
    )

    const report = await replayInto('replay_wallets')
    assert.deepEqual(report.differences, [])
  })
})
