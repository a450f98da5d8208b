import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { UserFactory } from '#factories/user_factory'
import { serviceToken, userToken } from '#tests/helpers/auth'
import { snapshotBody } from '#tests/helpers/snapshots'
import { recordSnapshots } from '#services/positions/record_snapshots'
import { truncateAll } from '#tests/helpers/database'
import type { User } from '#models'
import { integrated } from '#tests/helpers/events'

const signal = (overrides: Record<string, unknown> = {}) => ({
  type: 'depeg',
  asset: 'USDC',
  severity: 'high',
  data: { priceUsd: '0.985' },
  detectedAt: new Date(Date.now() - 60_000).toISOString(),
  expiresAt: new Date(Date.now() + 3600_000).toISOString(),
  ...overrides,
})

async function holdUsdc(user: User) {
  // an older snapshot without USDC, then the latest one with USDC debt
  await recordSnapshots({ kind: 'user', userId: user.id, walletAddress: user.walletAddress }, [
    {
      ...snapshotBody({ debt: [{ symbol: 'DAI', amount: '1', valueUsd: '1' }] }),
      snapshotAt: DateTime.fromISO('2026-11-01T00:00:00Z'),
    } as any,
    { ...snapshotBody(), snapshotAt: DateTime.fromISO('2026-11-01T01:00:00Z') } as any,
  ])
}

async function alertsOf(user: User) {
  const rows = await db
    .from('alerts')
    .where('user_id', user.id)
    .orderBy('channel')
    .select('channel', 'status', 'type')
  return rows.map((r) => `${r.channel}:${r.status}`)
}

test.group('Signals | fan-out', (group) => {
  // committed rows: events are sealed by the integrator after commit (docs/adr/0012)
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test('the matrix: type followed × asset held / watched / neither × channels', async ({
    client,
    assert,
  }) => {
    const follows = { activeSignals: ['depeg'] }
    const holder = await UserFactory.merge({
      preferences: { ...follows, notificationChannels: ['telegram', 'email'] },
    }).create()
    await holdUsdc(holder)
    const watcher = await UserFactory.merge({
      preferences: { ...follows, watchAssets: ['usdc'] },
    }).create()
    const neither = await UserFactory.merge({
      preferences: { ...follows, watchAssets: ['ETH'] },
    }).create()
    const notFollowing = await UserFactory.merge({
      preferences: { activeSignals: ['whale_movement'], watchAssets: ['USDC'] },
    }).create()
    await holdUsdc(notFollowing)
    const defaults = await UserFactory.merge({ preferences: { watchAssets: ['USDC'] } }).create() // default activeSignals include depeg
    const oldHolder = await UserFactory.merge({ preferences: follows }).create()
    // USDC only in an OLD snapshot: the latest one no longer holds it
    await recordSnapshots(
      { kind: 'user', userId: oldHolder.id, walletAddress: oldHolder.walletAddress },
      [
        { ...snapshotBody(), snapshotAt: DateTime.fromISO('2026-11-01T00:00:00Z') } as any,
        {
          ...snapshotBody({ debt: [{ symbol: 'DAI', amount: '1', valueUsd: '1' }] }),
          snapshotAt: DateTime.fromISO('2026-11-01T01:00:00Z'),
        } as any,
      ]
    )

    const response = await client
      .post('/api/v1/signals')
      .bearerToken(await serviceToken(['signals:write']))
      .json(signal({ asset: 'usdc' }))
    response.assertStatus(201)
    assert.equal(response.body().data.asset, 'USDC')

    assert.deepEqual(await alertsOf(holder), ['email:pending', 'in_app:sent', 'telegram:pending'])
    assert.deepEqual(await alertsOf(watcher), ['in_app:sent'])
    assert.deepEqual(await alertsOf(neither), [])
    assert.deepEqual(await alertsOf(notFollowing), [])
    assert.deepEqual(await alertsOf(defaults), ['in_app:sent'])
    assert.deepEqual(await alertsOf(oldHolder), [])
    assert.equal(response.body().meta.alertsCreated, 5)

    const message = (await db.from('alerts').where('user_id', watcher.id).firstOrFail()).message
    assert.equal(message, '[HIGH] Depeg on USDC: priceUsd 0.985')
    await integrated()
    const events = await db.from('event_store').where('event_type', 'alert.created').count('* as n')
    assert.equal(Number(events[0].n), 5)
    const watcherAlert = await db.from('alerts').where('user_id', watcher.id).firstOrFail()
    await integrated()
    const [event] = await db.from('event_store').where('aggregate_id', watcherAlert.id)
    assert.equal(event.version, 1)
    assert.deepEqual(event.payload, {
      userId: watcher.id,
      signalId: response.body().data.id,
      type: 'depeg',
      severity: 'high',
      channel: 'in_app',
      status: 'sent',
    })
    assert.deepEqual(event.metadata.causation, {
      aggregateType: 'signal',
      aggregateId: response.body().data.id,
    })
    assert.equal(event.metadata.actor.type, 'service')
  })

  test('a snoozed position does not bring its owner a signal alert; a watched asset still does', async ({
    client,
    assert,
  }) => {
    const follows = { activeSignals: ['depeg'] }
    const snoozed = await UserFactory.merge({ preferences: follows }).create()
    await holdUsdc(snoozed)
    const snoozedWatcher = await UserFactory.merge({
      preferences: { ...follows, watchAssets: ['USDC'] },
    }).create()
    await holdUsdc(snoozedWatcher)
    const expired = await UserFactory.merge({ preferences: follows }).create()
    await holdUsdc(expired)
    for (const [user, until] of [
      [snoozed, DateTime.utc().plus({ hours: 2 })],
      [snoozedWatcher, DateTime.utc().plus({ hours: 2 })],
    ] as const) {
      const response = await client
        .post('/api/v1/positions/snooze')
        .bearerToken(await userToken(user))
        .json({ protocol: 'aave_v3', chainId: 1, until: until.toISO() })
      response.assertStatus(200)
    }
    await db.table('position_snoozes').insert({
      user_id: expired.id,
      protocol: 'aave_v3',
      chain_id: 1,
      until: new Date(Date.now() - 1000),
    })

    const token = await serviceToken(['signals:write'])
    ;(await client.post('/api/v1/signals').bearerToken(token).json(signal())).assertStatus(201)
    assert.deepEqual(await alertsOf(snoozed), [])
    assert.deepEqual(await alertsOf(snoozedWatcher), ['in_app:sent'])
    assert.deepEqual(await alertsOf(expired), ['in_app:sent'])
  })

  test('several wallets: one alert per user; a snooze mutes only its position; a removed wallet no longer makes a target', async ({
    client,
    assert,
  }) => {
    const follows = { activeSignals: ['depeg'] }
    const second = '0x' + 'c3'.repeat(20)
    const service = { kind: 'service' as const }
    const usdcOn = (wallet: string, at: string) =>
      ({ ...snapshotBody({ walletAddress: wallet }), snapshotAt: DateTime.fromISO(at) }) as any
    // both wallets hold USDC; the sign-in wallet's position is snoozed
    const both = await UserFactory.merge({ preferences: follows }).create()
    await db.table('user_wallets').insert({ user_id: both.id, address: second, kind: 'watched' })
    await recordSnapshots(service, [
      usdcOn(both.walletAddress, '2026-11-01T00:00:00Z'),
      usdcOn(second, '2026-11-01T00:00:00Z'),
    ])
    await db.table('position_snoozes').insert({
      user_id: both.id,
      wallet_address: both.walletAddress,
      protocol: 'aave_v3',
      chain_id: 1,
      until: new Date(Date.now() + 3600_000),
    })
    // USDC only through a wallet that is then taken off the list
    const removed = await UserFactory.merge({ preferences: follows }).create()
    const gone = '0x' + 'd4'.repeat(20)
    await db.table('user_wallets').insert({ user_id: removed.id, address: gone, kind: 'watched' })
    await recordSnapshots(service, [usdcOn(gone, '2026-11-01T00:00:00Z')])
    assert.deepEqual(
      (await db.from('user_held_symbols').where('user_id', removed.id).firstOrFail()).symbols,
      ['USDC', 'WETH']
    )
    const removal = await client
      .delete(
        `/api/v1/me/wallets/${(await db.from('user_wallets').where('address', gone).where('user_id', removed.id).firstOrFail()).id}`
      )
      .bearerToken(await userToken(removed))
    removal.assertStatus(204)
    assert.notExists(await db.from('user_held_symbols').where('user_id', removed.id).first())

    const token = await serviceToken(['signals:write'])
    ;(await client.post('/api/v1/signals').bearerToken(token).json(signal())).assertStatus(201)
    // one alert per user however many wallets hold the asset; the unsnoozed one brings it
    assert.deepEqual(await alertsOf(both), ['in_app:sent'])
    assert.deepEqual(await alertsOf(removed), [])

    // every position holding it snoozed: no longer a target
    await db.table('position_snoozes').insert({
      user_id: both.id,
      wallet_address: second,
      protocol: 'aave_v3',
      chain_id: 1,
      until: new Date(Date.now() + 3600_000),
    })
    ;(
      await client
        .post('/api/v1/signals')
        .bearerToken(token)
        .json(signal({ detectedAt: new Date(Date.now() - 30_000).toISOString() }))
    ).assertStatus(201)
    assert.deepEqual(await alertsOf(both), ['in_app:sent'])
  })

  test('the same detection sent again creates nothing new', async ({ client, assert }) => {
    await UserFactory.merge({ preferences: { watchAssets: ['USDC'] } }).create()
    const token = await serviceToken(['signals:write'])
    const body = signal()
    const first = await client.post('/api/v1/signals').bearerToken(token).json(body)
    const again = await client.post('/api/v1/signals').bearerToken(token).json(body)
    first.assertStatus(201)
    again.assertStatus(200)
    assert.equal(again.body().data.id, first.body().data.id)
    assert.deepEqual(again.body().meta, { alreadyRecorded: true, alertsCreated: 0 })
    assert.equal(Number((await db.from('alerts').count('* as n'))[0].n), 1)
    assert.equal(Number((await db.from('signals').count('* as n'))[0].n), 1)
  })

  test('validation: type format, severity, expiry after detection; service with signals:write only', async ({
    client,
    assert,
  }) => {
    const token = await serviceToken(['signals:write'])
    const bad = await client
      .post('/api/v1/signals')
      .bearerToken(token)
      .json(signal({ type: 'Depeg!', severity: 'extreme', detectedAt: 'yesterday' }))
    bad.assertStatus(422)
    assert.sameMembers(
      bad.body().errors.map((e: any) => e.field),
      ['type', 'severity', 'detectedAt']
    )
    const backwards = await client
      .post('/api/v1/signals')
      .bearerToken(token)
      .json(signal({ expiresAt: new Date(Date.now() - 3600_000).toISOString() }))
    backwards.assertStatus(422)
    assert.equal(backwards.body().errors[0].field, 'expiresAt')

    const noAbility = await client
      .post('/api/v1/signals')
      .bearerToken(await serviceToken(['positions:write']))
      .json(signal())
    noAbility.assertStatus(403)
    const user = await client
      .post('/api/v1/signals')
      .bearerToken(await userToken(await UserFactory.create()))
      .json(signal())
    user.assertStatus(401)
  })
})

test.group('Signals | concurrent duplicates (committed rows)', (group) => {
  group.each.teardown(() => truncateAll())

  test('the same signal posted in parallel fans out once', async ({ client, assert }) => {
    await UserFactory.merge({
      preferences: { watchAssets: ['USDC'], notificationChannels: ['telegram'] },
    }).create()
    const token = await serviceToken(['signals:write'])
    const body = signal()
    const responses = await Promise.all(
      Array.from({ length: 4 }, () => client.post('/api/v1/signals').bearerToken(token).json(body))
    )
    assert.sameMembers(
      responses.map((r) => r.status()),
      [201, 200, 200, 200]
    )
    assert.equal(Number((await db.from('signals').count('* as n'))[0].n), 1)
    assert.equal(Number((await db.from('alerts').count('* as n'))[0].n), 2)
  })
})

test.group('Signals | quiet hours on fan-out', (group) => {
  // committed rows: events are sealed by the integrator after commit (docs/adr/0012)
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test('non-critical push alerts wait for the end of the window, in the user’s time zone; critical ones do not', async ({
    client,
    assert,
  }) => {
    // a Tokyo night window around "now": starts 2 h ago, ends in 1 h (Tokyo is UTC+9, no DST)
    const now = Date.now()
    const tokyo = (ms: number) => new Date(now + ms + 9 * 3600_000).toISOString().slice(11, 16)
    const user = await UserFactory.merge({
      preferences: {
        watchAssets: ['USDC'],
        notificationChannels: ['email'],
        timezone: 'Asia/Tokyo',
        quietHours: { start: tokyo(-2 * 3600_000), end: tokyo(3600_000) },
      },
    }).create()
    const token = await serviceToken(['signals:write'])
    await client.post('/api/v1/signals').bearerToken(token).json(signal())
    await client
      .post('/api/v1/signals')
      .bearerToken(token)
      .json(
        signal({
          asset: 'USDC',
          type: 'depeg',
          severity: 'critical',
          detectedAt: new Date(Date.now() - 1000).toISOString(),
        })
      )

    const rows = await db
      .from('alerts')
      .where('user_id', user.id)
      .select('channel', 'severity', 'deliver_after')
    const held = rows.find((r) => r.channel === 'email' && r.severity === 'high')!
    const expected = new Date(now + 3600_000)
    expected.setUTCSeconds(0, 0)
    assert.equal(new Date(held.deliver_after).toISOString(), expected.toISOString())
    assert.isNull(
      rows.find((r) => r.channel === 'email' && r.severity === 'critical')!.deliver_after
    )
    assert.isTrue(rows.filter((r) => r.channel === 'in_app').every((r) => r.deliver_after === null))
  })

  test('a stored zone PostgreSQL does not know counts as UTC instead of failing the fan-out for everyone', async ({
    client,
    assert,
  }) => {
    const other = await UserFactory.merge({
      preferences: { watchAssets: ['USDC'], notificationChannels: ['email'] },
    }).create()
    // stored before PATCH /me checked zones against PostgreSQL, or dropped by a tzdata upgrade;
    // a window around "now" in UTC
    const hhmm = (ms: number) => new Date(Date.now() + ms).toISOString().slice(11, 16)
    const stale = await UserFactory.merge({
      preferences: {
        watchAssets: ['USDC'],
        notificationChannels: ['email'],
        timezone: 'US/Pacific-New',
        quietHours: { start: hhmm(-3600_000), end: hhmm(3600_000) },
      },
    }).create()
    const response = await client
      .post('/api/v1/signals')
      .bearerToken(await serviceToken(['signals:write']))
      .json(signal())
    response.assertStatus(201)
    assert.sameMembers(await alertsOf(other), ['email:pending', 'in_app:sent'])
    assert.sameMembers(await alertsOf(stale), ['email:pending', 'in_app:sent'])
    const held = await db
      .from('alerts')
      .where({ user_id: stale.id, channel: 'email' })
      .firstOrFail()
    assert.isNotNull(held.deliver_after, 'held by the window, read in UTC')
  })
})
