import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { UserFactory } from '#factories/user_factory'
import { createDueDigests } from '#services/digest/daily_digest'
import { integrated } from '#tests/helpers/events'
import { truncateAll } from '#tests/helpers/database'

// 07:30 UTC = 08:30 in Paris (CET, UTC+1 in November) = 02:30 in New York.
const NOW = new Date('2026-11-20T07:30:00Z')
const hoursBefore = (h: number) => new Date(NOW.getTime() - h * 3600_000).toISOString()

async function snapshot(
  userId: string,
  wallet: string,
  protocol: string,
  chainId: number,
  hf: string,
  at: string
) {
  await db.table('positions').insert({
    user_id: userId,
    wallet_address: wallet,
    protocol,
    chain_id: chainId,
    health_factor: hf,
    collateral: JSON.stringify([
      { symbol: 'ETH', amount: '5', valueUsd: '15000.50', liquidationThreshold: '0.83' },
      { symbol: 'WBTC', amount: '0.1', valueUsd: '6000', liquidationThreshold: '0.78' },
    ]),
    debt: JSON.stringify([{ symbol: 'USDC', amount: '9000', valueUsd: '9000.25' }]),
    metadata: '{}',
    snapshot_at: at,
  })
}

async function alert(
  userId: string,
  severity: string,
  hoursAgo: number,
  signalId: string | null = null
) {
  await db.table('alerts').insert({
    user_id: userId,
    signal_id: signalId,
    type: signalId ? 'depeg' : 'health_factor_low',
    severity,
    channel: 'in_app',
    message: 'x',
    metadata: '{}',
    status: 'sent',
    created_at: hoursBefore(hoursAgo),
  })
}

test.group('Digest | daily summary at 08:00 local time', (group) => {
  // committed rows: events are sealed by the integrator after commit (docs/adr/0012)
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test('positions, the lowest HF of the past day, alerts and signals, on the first linked channel, once', async ({
    assert,
  }) => {
    const paris = await UserFactory.apply('telegramLinked').merge({ email: null }).create()
    paris.preferences = {
      timezone: 'Europe/Paris',
      digest: 'daily',
      // email first, but no address: the first *linked* channel is Telegram.
      notificationChannels: ['email', 'telegram', 'in_app'],
    }
    await paris.save()
    const w = paris.walletAddress
    await snapshot(paris.id, w, 'aave_v3', 1, '1.9', hoursBefore(30)) // older than a day
    await snapshot(paris.id, w, 'aave_v3', 1, '1.41', hoursBefore(10))
    await snapshot(paris.id, w, 'aave_v3', 1, '1.834', hoursBefore(1))
    await snapshot(paris.id, w, 'compound_v3', 8453, '2.5', hoursBefore(2))
    await alert(paris.id, 'critical', 3)
    await alert(paris.id, 'high', 5)
    await alert(paris.id, 'high', 6)
    await alert(paris.id, 'low', 30) // outside the day
    const { rows: signal } = await db.rawQuery(
      `insert into signals (type, asset, severity, data, detected_at, status)
       values ('depeg', 'USDC', 'high', '{}', ?, 'active') returning id`,
      [hoursBefore(4)]
    )
    await alert(paris.id, 'medium', 4, signal[0].id)

    const newYork = await UserFactory.create()
    newYork.preferences = { timezone: 'America/New_York', digest: 'daily' }
    await newYork.save()
    const off = await UserFactory.create()
    off.preferences = { timezone: 'Europe/Paris' }
    await off.save()

    assert.equal(await createDueDigests(NOW), 1, 'only Paris is at 08:30')
    const digests = await db.from('alerts').where('type', 'daily_digest')
    assert.lengthOf(digests, 1)
    const [digest] = digests
    assert.equal(digest.user_id, paris.id)
    assert.equal(digest.channel, 'telegram')
    assert.equal(digest.status, 'pending')
    assert.deepEqual(digest.metadata, { localDate: '2026-11-20' })
    assert.equal(
      digest.message,
      [
        'Your DeFi summary for 2026-11-20',
        '',
        'Positions:',
        '• Aave v3 on Ethereum: health factor 1.834 (lowest in 24 h: 1.410), collateral $21,000.50, debt $9,000.25',
        '• Compound v3 on Base: health factor 2.500, collateral $21,000.50, debt $9,000.25',
        '',
        'Alerts in the past day: 4 (1 critical, 2 high, 1 medium).',
        'Signals that concerned you: Depeg on USDC (high).',
      ].join('\n')
    )
    await integrated()
    const events = await db.from('event_store').where('aggregate_id', digest.id)
    assert.deepEqual(
      events.map((e) => e.event_type),
      ['alert.created']
    )

    // Every worker runs this every minute: still one digest per local day.
    assert.equal(await createDueDigests(new Date(NOW.getTime() + 60_000)), 0)
    assert.equal(await createDueDigests(new Date(NOW.getTime() + 3 * 3600_000)), 0)
    // New York's 08:30 comes six hours later.
    assert.equal(await createDueDigests(new Date(NOW.getTime() + 6 * 3600_000)), 1)
    // The next Paris morning gets the next one.
    assert.equal(await createDueDigests(new Date(NOW.getTime() + 24 * 3600_000)), 1)
  })

  test('before 08:00 local nothing goes; with no channel linked it lands in-app', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    user.preferences = {
      timezone: 'Asia/Tokyo',
      digest: 'daily',
      notificationChannels: ['telegram'],
    }
    await user.save()
    // 22:59 UTC = 07:59 in Tokyo.
    assert.equal(await createDueDigests(new Date('2026-11-20T22:59:00Z')), 0)
    assert.equal(await createDueDigests(new Date('2026-11-20T23:00:00Z')), 1)
    const digest = await db.from('alerts').where('user_id', user.id).firstOrFail()
    assert.equal(digest.channel, 'in_app')
    assert.equal(digest.status, 'sent')
    assert.include(digest.message, 'Your DeFi summary for 2026-11-21')
    assert.include(digest.message, 'Positions: none recorded yet.')
    assert.include(digest.message, 'Alerts in the past day: none.')
  })

  test('a stored zone PostgreSQL does not know counts as UTC; everyone else still gets theirs', async ({
    assert,
  }) => {
    const paris = await UserFactory.create()
    paris.preferences = { timezone: 'Europe/Paris', digest: 'daily' }
    await paris.save()
    // stored before PATCH /me checked zones against PostgreSQL, or dropped by a tzdata upgrade
    const stale = await UserFactory.create()
    stale.preferences = { timezone: 'US/Pacific-New', digest: 'daily' }
    await stale.save()

    assert.equal(await createDueDigests(NOW), 1)
    const users = async () =>
      (await db.from('alerts').where('type', 'daily_digest')).map((d) => d.user_id)
    assert.deepEqual(await users(), [paris.id])
    // 08:30 UTC: the stale zone's digest, at 08:00 UTC as if it were UTC
    assert.equal(await createDueDigests(new Date(NOW.getTime() + 3600_000)), 1)
    assert.sameMembers(await users(), [paris.id, stale.id])
  })

  test('quiet hours hold a pushed digest until they end, as any low-severity alert', async ({
    assert,
  }) => {
    // 08:30 in Paris, inside a 22:00–09:00 night: held until 09:00 Paris = 08:00 UTC
    const sleeper = await UserFactory.apply('telegramLinked').create()
    sleeper.preferences = {
      timezone: 'Europe/Paris',
      digest: 'daily',
      notificationChannels: ['telegram'],
      quietHours: { start: '22:00', end: '09:00' },
    }
    await sleeper.save()
    assert.equal(await createDueDigests(NOW), 1)
    const digest = await db.from('alerts').where('type', 'daily_digest').firstOrFail()
    assert.equal(digest.channel, 'telegram')
    assert.equal(new Date(digest.deliver_after).toISOString(), '2026-11-20T08:00:00.000Z')
  })

  test('several wallets: each position under its wallet, the lowest HF of the day per wallet', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    user.preferences = { timezone: 'Europe/Paris', digest: 'daily' }
    await user.save()
    const treasury = '0x' + 'c3'.repeat(20)
    await db.table('user_wallets').insert({
      user_id: user.id,
      address: treasury,
      kind: 'watched',
      label: 'DAO treasury',
    })
    // same (protocol, chain) on both wallets: the treasury's dip is not the user's
    await snapshot(user.id, user.walletAddress, 'aave_v3', 1, '1.8', hoursBefore(1))
    await snapshot(user.id, treasury, 'aave_v3', 1, '1.2', hoursBefore(8))
    await snapshot(user.id, treasury, 'aave_v3', 1, '2.2', hoursBefore(2))

    assert.equal(await createDueDigests(NOW), 1)
    const digest = await db.from('alerts').where('type', 'daily_digest').firstOrFail()
    assert.deepEqual(digest.message.split('\n').slice(2, 5), [
      'Positions:',
      '• Aave v3 on Ethereum: health factor 1.800, collateral $21,000.50, debt $9,000.25',
      '• DAO treasury (0xc3c3…c3c3), Aave v3 on Ethereum: health factor 2.200 (lowest in 24 h: 1.200), collateral $21,000.50, debt $9,000.25',
    ])
  })
})
