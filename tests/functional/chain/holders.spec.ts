import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import chainConfig from '#config/chain'
import { User } from '#models'
import chainSync, { type SyncResult } from '#services/chain/chain_sync'
import { alertStaleChain } from '#services/chain/stale_alerts'
import { startChainNode, type ChainNode } from '#tests/helpers/chain/node'
import { deployLocalMarkets, type LocalMarkets } from '#tests/helpers/chain/deploy'
import { RpcProxy } from '#tests/helpers/chain/rpc_proxy'
import { signIn, userToken } from '#tests/helpers/auth'
import { truncateAll } from '#tests/helpers/database'

/**
 * Several wallets per user (docs/adr/0014), on the real local chain: a wallet
 * on many users' lists is read once per round, and what is written reaches
 * every current holder — owner and watchers — and no one who removed it.
 * user_wallets rows are inserted directly (the wallets API is tested apart).
 */
const CHAIN = 31337

interface Holder {
  id: string
  address: string
  account: PrivateKeyAccount
}

async function newUser(healthFactorThreshold?: number): Promise<Holder> {
  const account = privateKeyToAccount(generatePrivateKey())
  const address = account.address.toLowerCase()
  const preferences =
    healthFactorThreshold === undefined
      ? {}
      : { alertThresholds: { healthFactor: healthFactorThreshold } }
  const [row] = await db
    .table('users')
    .insert({ wallet_address: address, preferences: JSON.stringify(preferences) })
    .returning('id')
  return { id: row.id, address, account }
}

async function watch(userId: string, address: string) {
  await db.table('user_wallets').insert({ user_id: userId, address, kind: 'watched' })
}

/**
 * What DELETE /me/wallets/:id does to the position's rows (docs/adr/0014, point 4),
 * except that the watched copies stay here, to be counted.
 */
async function unwatch(userId: string, address: string) {
  await db.from('user_wallets').where({ user_id: userId, address }).delete()
  for (const table of [
    'position_heads',
    'health_factor_alert_state',
    'liquidation_probability_alert_state',
    'position_snoozes',
  ]) {
    await db.from(table).where({ user_id: userId, wallet_address: address }).delete()
  }
}

/** A user's snapshots of one wallet, newest first. */
async function snapshotsOf(userId: string, wallet: string) {
  return db
    .from('positions')
    .where({ user_id: userId, wallet_address: wallet, chain_id: CHAIN })
    .orderBy('snapshot_at', 'desc')
    .orderBy('protocol')
}

/** The snapshots a round wrote, by user. */
async function writtenBy(round: SyncResult, wallet: string) {
  const rows = await db
    .from('positions')
    .where({ wallet_address: wallet, chain_id: CHAIN })
    .whereRaw(`metadata->>'blockNumber' = ?`, [round.blockNumber])
    .select('user_id', 'protocol', 'health_factor', 'snapshot_at')
  const byUser = new Map<string, typeof rows>()
  for (const r of rows) byUser.set(r.user_id, [...(byUser.get(r.user_id) ?? []), r])
  return byUser
}

const total = (round: SyncResult) => Object.values(round.written).reduce((a, b) => a + b, 0)

test.group('Chain sync | a wallet on several users’ lists (ADR 0014)', (group) => {
  let node: ChainNode
  let markets: LocalMarkets
  let proxy: RpcProxy
  // the owner of the wallet with positions, and the users watching it
  let owner: Holder
  let a: Holder
  let b: Holder
  let c: Holder

  group.setup(async () => {
    await truncateAll()
    node = await startChainNode()
    markets = await deployLocalMarkets(node.url)
    proxy = await new RpcProxy(node.url).start()
    chainSync.configure({
      rpcUrls: new Map([[CHAIN, [proxy.url]]]),
      markets: new Map([
        [CHAIN, { aave_v3: markets.aave.addressesProvider, compound_v3: markets.comet.comet }],
      ]),
      rpcTimeoutMs: 5_000,
    })
    return async () => {
      chainSync.configure(chainConfig)
      await proxy.stop()
      await node.stop()
      await truncateAll()
    }
  })
  group.each.timeout(120_000)

  test('one round reads the wallet once however many users hold it; every holder gets the snapshot', async ({
    assert,
  }) => {
    owner = await newUser()
    a = await newUser()
    b = await newUser()
    await markets.openAave(owner.account, { supplyWeth: '10', borrowUsdc: '10000' })
    await markets.openComet(owner.account, { supplyWeth: '10', borrowUsdc: '10000' })

    const first = await chainSync.syncChain(CHAIN)
    assert.deepEqual(first.written, { new: 2, changed: 0, closed: 0, heartbeat: 0 })

    // held by its owner alone
    await markets.setWethPrice('1950')
    const alone = await chainSync.syncChain(CHAIN)
    assert.equal(alone.written.changed, 2)

    // the same wallets, the same change, two more holders
    await watch(a.id, owner.address)
    await watch(b.id, owner.address)
    await markets.setWethPrice('1900')
    const shared = await chainSync.syncChain(CHAIN)
    assert.deepEqual(shared.written, { new: 0, changed: 2, closed: 0, heartbeat: 0 })
    assert.equal(shared.wallets, alone.wallets, 'a watched wallet is one wallet to read')
    assert.equal(shared.wallets, 3)
    assert.equal(shared.ethCalls, alone.ethCalls, 'the reads do not grow with the holders')

    const written = await writtenBy(shared, owner.address)
    assert.sameMembers([...written.keys()], [owner.id, a.id, b.id])
    for (const rows of written.values()) {
      assert.sameMembers(
        rows.map((r) => r.protocol),
        ['aave_v3', 'compound_v3']
      )
      const aave = rows.find((r) => r.protocol === 'aave_v3')!
      const ownersAave = written.get(owner.id)!.find((r) => r.protocol === 'aave_v3')!
      assert.equal(aave.health_factor, ownersAave.health_factor)
      assert.equal(aave.snapshot_at.getTime(), ownersAave.snapshot_at.getTime())
    }
    // the watchers have only what was written since they watch
    assert.lengthOf(await snapshotsOf(a.id, owner.address), 2)
    assert.lengthOf(await snapshotsOf(owner.id, owner.address), 6)

    // nothing moved: nobody gets anything
    const quiet = await chainSync.syncChain(CHAIN)
    assert.equal(total(quiet), 0)
  })

  test('the health-factor rule alerts every holder whose own threshold is crossed, about the watched wallet', async ({
    assert,
  }) => {
    const thresholds: [Holder, number][] = [
      [owner, 1.2], // neither position crosses it
      [a, 1.5], // both do
      [b, 1.42], // Aave's does (≈ 1.40), Comet's does not (≈ 1.45)
    ]
    for (const [holder, threshold] of thresholds) {
      await db
        .from('users')
        .where('id', holder.id)
        .update({
          preferences: JSON.stringify({ alertThresholds: { healthFactor: threshold } }),
        })
    }
    await markets.setWethPrice('1700')
    const round = await chainSync.syncChain(CHAIN)
    assert.equal(round.written.changed, 2)

    const alerts = await db
      .from('alerts')
      .where({ type: 'health_factor_low', channel: 'in_app' })
      .select('user_id', 'wallet_address', 'message')
    const of = (holder: Holder) => alerts.filter((x) => x.user_id === holder.id)
    assert.lengthOf(of(owner), 0)
    assert.lengthOf(of(a), 2)
    assert.lengthOf(of(b), 1)
    // a watched wallet is named: it is not the one the watcher signs in with
    assert.match(
      of(b)[0].message,
      new RegExp(`^${owner.address.slice(0, 6)}…${owner.address.slice(-4)}, Aave v3`)
    )
    assert.isTrue(alerts.every((x) => x.wallet_address === owner.address))
  })

  test('a user who adds the wallet gets its positions at the next round, though nothing changed', async ({
    assert,
    client,
  }) => {
    c = await newUser()
    // their own (empty) sign-in wallet is read from the next round on: no snapshot for it
    await chainSync.syncChain(CHAIN)
    await watch(c.id, owner.address)

    const round = await chainSync.syncChain(CHAIN)
    assert.deepEqual(round.written, { new: 2, changed: 0, closed: 0, heartbeat: 0 })
    const written = await writtenBy(round, owner.address)
    assert.lengthOf(written.get(c.id)!, 2)
    // the one set-based insert writes the same snapshot to the holders who had it already
    assert.sameMembers([...written.keys()], [owner.id, a.id, b.id, c.id])

    const response = await client
      .get('/api/v1/positions')
      .bearerToken(await userToken(await User.findOrFail(c.id)))
    response.assertStatus(200)
    assert.sameDeepMembers(
      response
        .body()
        .data.map((p: { walletAddress: string; protocol: string }) => [
          p.walletAddress,
          p.protocol,
        ]),
      [
        [owner.address, 'aave_v3'],
        [owner.address, 'compound_v3'],
      ]
    )

    const quiet = await chainSync.syncChain(CHAIN)
    assert.equal(total(quiet), 0, 'then quiet again')
  })

  test('a watcher who removes the wallet gets nothing new, the others still do; a wallet off every list is not read', async ({
    assert,
  }) => {
    await unwatch(a.id, owner.address)
    const before = await snapshotsOf(a.id, owner.address)
    await markets.setWethPrice('1680')
    const round = await chainSync.syncChain(CHAIN)
    assert.equal(round.written.changed, 2)
    assert.sameMembers([...(await writtenBy(round, owner.address)).keys()], [owner.id, b.id, c.id])
    assert.lengthOf(await snapshotsOf(a.id, owner.address), before.length)

    // a wallet nobody signs in with, watched by one user
    const treasury = privateKeyToAccount(generatePrivateKey())
    const address = treasury.address.toLowerCase()
    const d = await newUser()
    await markets.openAave(treasury, { supplyWeth: '2', borrowUsdc: '1000' })
    await watch(d.id, address)
    const watched = await chainSync.syncChain(CHAIN)
    assert.equal(watched.wallets, round.wallets + 2, 'd’s sign-in wallet and the treasury')
    assert.equal(watched.written.new, 1)
    assert.lengthOf(await snapshotsOf(d.id, address), 1)
    assert.lengthOf(
      await db.from('users').where('wallet_address', address),
      0,
      'a watched wallet gets no account of its own'
    )

    await unwatch(d.id, address)
    await markets.setWethPrice('1690')
    const after = await chainSync.syncChain(CHAIN)
    assert.equal(after.wallets, watched.wallets - 1, 'the treasury is not read anymore')
    assert.equal(after.written.changed, 2, 'the owner’s positions only')
    assert.lengthOf(await db.from('positions').where('wallet_address', address), 1)
    assert.lengthOf(await db.from('users').where('wallet_address', address), 0)
  })

  test('a wallet taken off every list between the read and the write gets no snapshot and no account', async ({
    assert,
  }) => {
    const gone = privateKeyToAccount(generatePrivateKey())
    const address = gone.address.toLowerCase()
    await markets.openAave(gone, { supplyWeth: '1', borrowUsdc: '100' })
    // read as listed ("sync now" names its wallets), on nobody's list when written
    const round = await chainSync.syncChain(CHAIN, { wallets: [address] })
    assert.equal(round.written.new, 1, 'it was read and due')
    assert.lengthOf(await db.from('positions').where('wallet_address', address), 0)
    assert.lengthOf(await db.from('users').where('wallet_address', address), 0)
    assert.lengthOf(await db.from('user_wallets').where('address', address), 0)
  })

  test('POST /positions/sync reads all the caller’s wallets, proven and watched, and answers their positions', async ({
    assert,
    client,
  }) => {
    const { token, user } = await signIn(client)
    const second = privateKeyToAccount(generatePrivateKey())
    await markets.openAave(second, { supplyWeth: '3', borrowUsdc: '1000' })
    await db.table('user_wallets').insert({
      user_id: user.id,
      address: second.address.toLowerCase(),
      kind: 'proven',
      proof: 'siwe',
    })
    await watch(user.id, owner.address)

    await markets.setWethPrice('1600')
    const response = await client.post('/api/v1/positions/sync').bearerToken(token)
    response.assertStatus(200)
    const body = response.body()
    assert.deepEqual(
      body.meta.chains.map((x: { chainId: number; ok: boolean }) => [x.chainId, x.ok]),
      [[CHAIN, true]]
    )
    const positions = body.data as {
      walletAddress: string
      protocol: string
      collateral: { priceUsd: string }[]
    }[]
    assert.sameDeepMembers(
      positions.map((p) => [p.walletAddress, p.protocol]),
      [
        [second.address.toLowerCase(), 'aave_v3'],
        [owner.address, 'aave_v3'],
        [owner.address, 'compound_v3'],
      ]
    )
    assert.isTrue(positions.every((p) => p.collateral[0].priceUsd === '1600'))
    // the watched wallet's fresh snapshot reached its other holders too
    const [newest] = await snapshotsOf(b.id, owner.address)
    assert.equal(newest.collateral[0].priceUsd, '1600')
    // and the caller's own sign-in wallet, empty on chain, has no position
    assert.lengthOf(await snapshotsOf(user.id, user.walletAddress), 0)
  })

  test('the stale-chain alert reaches every user with an open position on a wallet of their list, once each, naming the wallets', async ({
    assert,
  }) => {
    await db
      .from('chain_sync_state')
      .where('chain_id', CHAIN)
      .update({ last_success_at: db.raw(`now() - interval '11 minutes'`), stale_alerted_at: null })
    const sent = await alertStaleChain(CHAIN, 10)
    const alerts = await db.from('alerts').where('type', 'chain_stale')
    assert.equal(sent, alerts.length)
    const byUser = new Map(alerts.map((x) => [x.user_id, x]))
    assert.equal(byUser.size, alerts.length, 'one per user')
    // the owner and the watchers still holding it (a removed it), and the /positions/sync caller
    assert.includeMembers([...byUser.keys()], [owner.id, b.id, c.id])
    assert.notInclude([...byUser.keys()], a.id)
    assert.lengthOf(alerts, 4)
    assert.deepEqual(byUser.get(c.id)!.metadata.wallets, [owner.address])
    assert.isNull(byUser.get(c.id)!.wallet_address, 'about a chain, not one position')
    const caller = alerts.find((x) => ![owner.id, b.id, c.id].includes(x.user_id))!
    assert.lengthOf(caller.metadata.wallets, 2, 'its proven second wallet and the watched one')

    // a round that succeeds ends the outage
    await chainSync.syncChain(CHAIN)
    const [state] = await db.from('chain_sync_state').where('chain_id', CHAIN)
    assert.isNull(state.stale_alerted_at)
  })
})
