import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { UserFactory } from '#factories/user_factory'
import { userToken } from '#tests/helpers/auth'
import { snapshotBody } from '#tests/helpers/snapshots'
import { integrated } from '#tests/helpers/events'
import { truncateAll } from '#tests/helpers/database'

/** 10 WETH at $2,000 (LT 0.825) = $16,500 of borrowing capacity: debt = 16500 / HF. */
function withHealthFactor(hf: number, at: string) {
  const debt = (16500 / hf).toFixed(2)
  return snapshotBody({
    snapshotAt: at,
    debt: [{ symbol: 'USDC', amount: debt, valueUsd: debt, priceUsd: '1' }],
  })
}

test.group('Alerts | health factor on ingest', (group) => {
  // committed rows: events are sealed by the integrator after commit (docs/adr/0012)
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test('threshold 1.5: 1.4 alerts, 1.35 and 1.6 do not, 1.3 alerts — on every channel of the user', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.merge({
      preferences: { notificationChannels: ['telegram'] },
    }).create()
    const token = await userToken(user)
    const series: [number, string][] = [
      [1.4, '2026-11-01T00:00:00Z'],
      [1.35, '2026-11-01T01:00:00Z'],
      [1.6, '2026-11-01T02:00:00Z'],
      [1.3, '2026-11-01T03:00:00Z'],
    ]
    for (const [hf, at] of series) {
      ;(
        await client.post('/api/v1/positions').bearerToken(token).json(withHealthFactor(hf, at))
      ).assertStatus(201)
    }
    // one test transaction: created_at ties, so order by the snapshot each alert came from
    const alerts = await db
      .from('alerts')
      .where('user_id', user.id)
      .orderByRaw("metadata->>'snapshotId'")
      .orderBy('channel')
    assert.deepEqual(
      alerts.map((a) => [
        Number(a.metadata.healthFactor).toFixed(1),
        a.channel,
        a.status,
        a.severity,
      ]),
      [
        ['1.4', 'in_app', 'sent', 'high'],
        ['1.4', 'telegram', 'pending', 'high'],
        ['1.3', 'in_app', 'sent', 'high'],
        ['1.3', 'telegram', 'pending', 'high'],
      ]
    )
    await integrated()
    const events = await db.from('event_store').where('event_type', 'alert.created')
    assert.lengthOf(events, 4)
  })

  test('the message says protocol, chain, HF, threshold, USD totals, buffer and liquidation price', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    await client
      .post('/api/v1/positions')
      .bearerToken(await userToken(user))
      .json(withHealthFactor(1.2, '2026-11-01T00:00:00Z'))
    const alert = await db.from('alerts').where('user_id', user.id).firstOrFail()
    assert.equal(
      alert.message,
      'Aave v3 on Ethereum: health factor 1.200 is below your threshold 1.5. ' +
        'Collateral $20,000.00, debt $13,750.00 — collateral can fall 16.66% before liquidation. ' +
        'WETH is liquidated at $1,666.66 (now $2,000.00).'
    )
  })

  test('a batch goes through the rule in snapshot order; a backfill older than the last evaluated does not alert', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const token = await userToken(user)
    await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(withHealthFactor(1.4, '2026-11-01T05:00:00Z'))
    // older than what was already evaluated: stored, but history, not news
    await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(withHealthFactor(1.05, '2026-11-01T01:00:00Z'))
    assert.lengthOf(await db.from('alerts').where('user_id', user.id), 1)
    // newer and critical: alerts again
    await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(withHealthFactor(1.05, '2026-11-01T06:00:00Z'))
    const severities = (
      await db.from('alerts').where('user_id', user.id).orderByRaw("metadata->>'snapshotId'")
    ).map((a) => a.severity)
    assert.deepEqual(severities, ['high', 'critical'])
  })

  test("the user's own threshold (or risk profile) applies", async ({ client, assert }) => {
    const aggressive = await UserFactory.apply('aggressive').create()
    await client
      .post('/api/v1/positions')
      .bearerToken(await userToken(aggressive))
      .json(withHealthFactor(1.3, '2026-11-01T00:00:00Z'))
    assert.lengthOf(await db.from('alerts').where('user_id', aggressive.id), 0)
    const custom = await UserFactory.merge({
      preferences: { alertThresholds: { healthFactor: 2.5 } },
    }).create()
    await client
      .post('/api/v1/positions')
      .bearerToken(await userToken(custom))
      .json(withHealthFactor(2.2, '2026-11-01T00:00:00Z'))
    assert.lengthOf(await db.from('alerts').where('user_id', custom.id), 1)
  })
})

test.group('Alerts | snooze and quiet hours', (group) => {
  // committed rows: events are sealed by the integrator after commit (docs/adr/0012)
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test('a snoozed position does not alert until the snooze ends; other positions still do', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const token = await userToken(user)
    const snooze = await client
      .post('/api/v1/positions/snooze')
      .bearerToken(token)
      .json({
        protocol: 'aave_v3',
        chainId: 1,
        until: new Date(Date.now() + 3600_000).toISOString(),
      })
    snooze.assertStatus(200)
    await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(withHealthFactor(1.2, '2026-11-01T00:00:00Z'))
    await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json({ ...withHealthFactor(1.2, '2026-11-01T00:00:00Z'), protocol: 'compound_v3' })
    const alerts = await db.from('alerts').where('user_id', user.id)
    assert.deepEqual(
      alerts.map((a) => a.metadata.protocol),
      ['compound_v3']
    )

    // lifting the snooze (an instant in the past): the position is still at risk and alerts
    await client
      .post('/api/v1/positions/snooze')
      .bearerToken(token)
      .json({ protocol: 'aave_v3', until: '2026-01-01T00:00:00Z' })
    await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(withHealthFactor(1.0, '2026-11-01T01:00:00Z'))
    assert.lengthOf(
      await db
        .from('alerts')
        .where('user_id', user.id)
        .whereRaw("metadata->>'protocol' = 'aave_v3'"),
      1
    )
  })

  test('a position still at risk when its snooze ends alerts on its next snapshot, not after the cooldown', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const token = await userToken(user)
    const snooze = (until: string) =>
      client
        .post('/api/v1/positions/snooze')
        .bearerToken(token)
        .json({ protocol: 'aave_v3', until })
    const post = (hf: number, at: string) =>
      client.post('/api/v1/positions').bearerToken(token).json(withHealthFactor(hf, at))
    const count = async () => (await db.from('alerts').where('user_id', user.id)).length

    ;(await snooze(new Date(Date.now() + 3600_000).toISOString())).assertStatus(200)
    await post(1.05, '2026-11-01T00:00:00Z')
    assert.equal(await count(), 0, 'muted while snoozed')
    ;(await snooze('2026-01-01T00:00:00Z')).assertStatus(200)
    // same band (critical), one hour later: far inside the 12 h cooldown
    await post(1.04, '2026-11-01T01:00:00Z')
    assert.equal(await count(), 1)
    // and the rule goes on as usual: no repeat on the next one
    await post(1.03, '2026-11-01T02:00:00Z')
    assert.equal(await count(), 1)
  })

  test('quiet hours hold non-critical push alerts until the window ends; critical ones go at once', async ({
    client,
    assert,
  }) => {
    // a window that contains "now" whatever the hour: from one hour ago to one hour ahead, in UTC
    const hhmm = (d: Date) => d.toISOString().slice(11, 16)
    const start = new Date(Date.now() - 3600_000)
    const end = new Date(Date.now() + 3600_000)
    const user = await UserFactory.merge({
      preferences: {
        notificationChannels: ['telegram'],
        timezone: 'UTC',
        quietHours: { start: hhmm(start), end: hhmm(end) },
      },
    }).create()
    const token = await userToken(user)
    await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(withHealthFactor(1.3, '2026-11-01T00:00:00Z'))
    await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json({ ...withHealthFactor(1.05, '2026-11-01T00:00:00Z'), protocol: 'compound_v3' })

    const rows = await db
      .from('alerts')
      .where('user_id', user.id)
      .select('channel', 'severity', 'deliver_after')
    const telegramHigh = rows.find((r) => r.channel === 'telegram' && r.severity === 'high')!
    const telegramCritical = rows.find(
      (r) => r.channel === 'telegram' && r.severity === 'critical'
    )!
    const expectedEnd = new Date(end)
    expectedEnd.setUTCSeconds(0, 0)
    assert.equal(new Date(telegramHigh.deliver_after).toISOString(), expectedEnd.toISOString())
    assert.isNull(telegramCritical.deliver_after)
    assert.isTrue(rows.filter((r) => r.channel === 'in_app').every((r) => r.deliver_after === null))
  })
})
