import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { UserFactory } from '#factories/user_factory'
import { serviceToken, userToken } from '#tests/helpers/auth'
import { snapshotBody } from '#tests/helpers/snapshots'
import { positionStreamId } from '#services/positions/record_snapshots'
import { truncateAll } from '#tests/helpers/database'
import { integrated } from '#tests/helpers/events'

const TREASURY = '0x' + 'c3'.repeat(20)
const SECOND = '0x' + 'd4'.repeat(20)

async function addWallet(userId: string, address: string, kind: 'proven' | 'watched') {
  await db.table('user_wallets').insert({
    user_id: userId,
    address,
    kind,
    proof: kind === 'proven' ? 'siwe' : null,
  })
}

async function snapshotsOf(userId: string) {
  return db
    .from('positions')
    .where('user_id', userId)
    .orderBy(['wallet_address', 'snapshot_at'])
    .select('wallet_address', 'health_factor', 'snapshot_at')
}

test.group('Positions | a wallet on several lists (docs/adr/0014)', (group) => {
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test("a service's snapshot reaches the owner and every watcher; the answer is the owner's row", async ({
    client,
    assert,
  }) => {
    const owner = await UserFactory.create()
    const watcherA = await UserFactory.create()
    const watcherB = await UserFactory.create()
    await addWallet(owner.id, TREASURY, 'proven')
    await addWallet(watcherA.id, TREASURY, 'watched')
    await addWallet(watcherB.id, TREASURY, 'watched')

    const response = await client
      .post('/api/v1/positions')
      .bearerToken(await serviceToken(['positions:write']))
      .json(snapshotBody({ walletAddress: TREASURY.toUpperCase().replace('0X', '0x') }))
    response.assertStatus(201)
    const answered = await db.from('positions').where('id', response.body().data.id).firstOrFail()
    assert.equal(answered.user_id, owner.id)
    assert.equal(response.body().data.walletAddress, TREASURY)

    for (const user of [owner, watcherA, watcherB]) {
      const rows = await snapshotsOf(user.id)
      assert.deepEqual(
        rows.map((r) => [r.wallet_address, r.health_factor]),
        [[TREASURY, '2.0625']],
        user.id
      )
    }
    // nobody was created for the wallet: it had holders
    assert.equal((await db.from('users').count('* as n'))[0].n, '3')

    // a retry is answered as already recorded, and still writes nothing twice
    const retry = await client
      .post('/api/v1/positions')
      .bearerToken(await serviceToken(['positions:write']))
      .json(snapshotBody({ walletAddress: TREASURY }))
    retry.assertStatus(200)
    assert.equal(retry.body().data.id, response.body().data.id)
    assert.equal((await db.from('positions').count('* as n'))[0].n, '3')
  })

  test("a user's own ingest stays theirs: a watcher of the wallet never gets it", async ({
    client,
    assert,
  }) => {
    const owner = await UserFactory.create()
    const watcher = await UserFactory.create()
    await addWallet(owner.id, SECOND, 'proven')
    await addWallet(watcher.id, SECOND, 'watched')

    const response = await client
      .post('/api/v1/positions')
      .bearerToken(await userToken(owner))
      .json(snapshotBody({ walletAddress: SECOND, metadata: { note: 'private' } }))
    response.assertStatus(201)
    assert.equal(response.body().data.walletAddress, SECOND)
    assert.deepEqual(
      (await snapshotsOf(owner.id)).map((r) => r.wallet_address),
      [SECOND]
    )
    assert.deepEqual(await snapshotsOf(watcher.id), [])

    // the watcher may not write into the wallet they only watch
    const refused = await client
      .post('/api/v1/positions')
      .bearerToken(await userToken(watcher))
      .json(snapshotBody({ walletAddress: SECOND }))
    refused.assertStatus(403)
    assert.equal(refused.body().errors[0].code, 'E_FORBIDDEN_WALLET')
    assert.deepEqual(await snapshotsOf(watcher.id), [])
  })

  test('two wallets of one user hold the same (protocol, chain): two positions, two event streams', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    await addWallet(user.id, SECOND, 'proven')
    const token = await userToken(user)
    await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(snapshotBody())
      .then((r) => r.assertStatus(201))
    await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(snapshotBody({ walletAddress: SECOND, debt: [] }))
      .then((r) => r.assertStatus(201))

    const latest = await client.get('/api/v1/positions').bearerToken(token)
    latest.assertStatus(200)
    assert.deepEqual(
      latest
        .body()
        .data.map((p: { walletAddress: string; healthFactor: string | null }) => [
          p.walletAddress,
          p.healthFactor,
        ]),
      [
        [SECOND, null],
        [user.walletAddress, '2.0625'],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0])))
    )

    await integrated()
    const streams = await db
      .from('event_store')
      .where('event_type', 'position.snapshot_recorded')
      .orderBy('aggregate_id')
      .select('aggregate_id', 'payload')
    assert.sameMembers(
      streams.map((e) => e.aggregate_id),
      [
        // the sign-in wallet keeps the stream it had when a user had one wallet
        positionStreamId(user.id, 'aave_v3', 1),
        positionStreamId(user.id, 'aave_v3', 1, SECOND),
      ]
    )
  })

  test('an ingest for a wallet nobody holds creates its user, as before', async ({
    client,
    assert,
  }) => {
    const wallet = '0x' + 'e5'.repeat(20)
    const response = await client
      .post('/api/v1/positions')
      .bearerToken(await serviceToken(['positions:write']))
      .json(snapshotBody({ walletAddress: wallet }))
    response.assertStatus(201)
    const user = await db.from('users').where('wallet_address', wallet).firstOrFail()
    const wallets = await db.from('user_wallets').where('user_id', user.id)
    assert.deepEqual(
      wallets.map((w) => [w.address, w.kind, w.proof]),
      [[wallet, 'proven', 'sign_in']]
    )
  })

  test('a position only on a wallet taken off the list cannot be simulated: 404, not its old snapshot', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    await addWallet(user.id, SECOND, 'proven')
    const token = await userToken(user)
    await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(snapshotBody({ walletAddress: SECOND }))
      .then((r) => r.assertStatus(201))
    const simulate = () =>
      client
        .post('/api/v1/positions/simulate')
        .bearerToken(token)
        .json({ protocol: 'aave_v3', chainId: 1, priceChanges: { WETH: '-0.1' } })
    const before = await simulate()
    before.assertStatus(200)
    assert.equal(before.body().data.currentHealthFactor, '2.0625')

    const wallet = await db
      .from('user_wallets')
      .where({ user_id: user.id, address: SECOND })
      .firstOrFail()
    ;(await client.delete(`/api/v1/me/wallets/${wallet.id}`).bearerToken(token)).assertStatus(204)
    const after = await simulate()
    after.assertStatus(404)
    assert.equal(after.body().errors[0].code, 'E_NOT_FOUND')
  })
})
