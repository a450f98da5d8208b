import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { UserFactory } from '#factories/user_factory'
import { userToken } from '#tests/helpers/auth'
import { snapshotBody } from '#tests/helpers/snapshots'
import { recordSnapshots } from '#services/positions/record_snapshots'
import type { User } from '#models'

async function seed(user: User, snapshots: Record<string, any>[]) {
  return recordSnapshots(
    { kind: 'user', userId: user.id, walletAddress: user.walletAddress },
    snapshots.map(
      (s) => ({ ...s, snapshotAt: DateTime.fromISO(s.snapshotAt, { zone: 'utc' }) }) as any
    )
  )
}

/** 10 WETH against 8,000 USDC, one snapshot an hour, WETH wandering ±1 % an hour. */
function wandering(start: string, hours: number) {
  const t0 = new Date(start).getTime()
  let price = 2000
  return Array.from({ length: hours }, (_, i) => {
    price *= i % 3 === 0 ? 1.01 : i % 3 === 1 ? 0.995 : 0.996
    const value = (10 * price).toFixed(8)
    return snapshotBody({
      snapshotAt: new Date(t0 + i * 3600_000).toISOString(),
      collateral: [
        {
          symbol: 'WETH',
          amount: '10',
          valueUsd: value,
          priceUsd: price.toFixed(8),
          liquidationThreshold: '0.825',
        },
      ],
    })
  })
}

test.group('Positions | price history from ingest', (group) => {
  group.each.setup(async () => {
    const rollback = await testUtils.db().withGlobalTransaction()
    // prices other suites committed (workers' tests, the demo seed) are not this test's history
    await db.from('price_history').delete()
    return rollback
  })

  test('one row per (chain, asset, hour): the first price of the hour, no zero prices', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    const weth = '0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2'
    const body = (at: string, price: string) =>
      snapshotBody({
        snapshotAt: at,
        collateral: [
          {
            symbol: 'WETH',
            amount: '10',
            valueUsd: String(Number(price) * 10),
            priceUsd: price,
            liquidationThreshold: '0.825',
            address: weth,
          },
          // no price and no amount: no observation, not a zero price
          { symbol: 'JUNK', amount: '0', valueUsd: '0', liquidationThreshold: '0' },
        ],
      })
    await seed(user, [body('2026-11-01T10:20:00Z', '2010'), body('2026-11-01T10:05:00Z', '2000')])
    await seed(user, [body('2026-11-01T10:50:00Z', '2100'), body('2026-11-01T11:00:00Z', '2050')])
    // a retry of a recorded snapshot adds nothing
    await seed(user, [body('2026-11-01T10:05:00Z', '2000')])

    const rows = await db
      .from('price_history')
      .select('asset_key', 'symbol', 'hour', 'price_usd', 'observed_at', 'source')
      .orderBy(['asset_key', 'hour'])
    assert.deepEqual(
      rows.map((r) => [r.asset_key, r.symbol, r.hour.toISOString(), r.price_usd, r.source]),
      [
        [weth.toLowerCase(), 'WETH', '2026-11-01T10:00:00.000Z', '2000', 'snapshot'],
        [weth.toLowerCase(), 'WETH', '2026-11-01T11:00:00.000Z', '2050', 'snapshot'],
        // no address: keyed by symbol; the price is valueUsd / amount when priceUsd is absent
        ['USDC', 'USDC', '2026-11-01T10:00:00.000Z', '1', 'snapshot'],
        ['USDC', 'USDC', '2026-11-01T11:00:00.000Z', '1', 'snapshot'],
      ]
    )
  })
})

test.group('Positions | liquidation risk in the API', (group) => {
  group.each.setup(async () => {
    const rollback = await testUtils.db().withGlobalTransaction()
    // prices other suites committed (workers' tests, the demo seed) are not this test's history
    await db.from('price_history').delete()
    return rollback
  })

  test('not enough history: null with the reason, never a made-up number', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    await seed(user, wandering('2026-11-01T00:00:00Z', 10))
    const response = await client.get('/api/v1/positions').bearerToken(await userToken(user))
    response.assertStatus(200)
    assert.deepEqual(response.body().data[0].risk, {
      liquidationProbability: null,
      volatility24h: null,
      basedOn: { samples: 9, since: null },
      unavailableReason: 'insufficient_history',
    })
  })

  test('with enough history: probabilities per horizon, as decimal strings', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const [first] = await seed(user, wandering('2026-11-01T00:00:00Z', 100))
    const token = await userToken(user)
    const response = await client.get('/api/v1/positions').bearerToken(token)
    response.assertStatus(200)
    const { risk } = response.body().data[0]
    assert.equal(risk.unavailableReason, null)
    assert.equal(risk.basedOn.samples, 99)
    assert.equal(risk.basedOn.since, '2026-11-01T00:00:00.000Z')
    const p = risk.liquidationProbability
    for (const value of [p['1h'], p['24h'], p['7d'], risk.volatility24h]) {
      assert.match(value, /^(0|1|0\.\d+)$/)
    }
    assert.isTrue(Number(p['1h']) <= Number(p['24h']) && Number(p['24h']) <= Number(p['7d']))
    assert.isAbove(Number(p['7d']), 0)

    // a snapshot from the start of the history has no history behind it
    const early = await client.get(`/api/v1/positions/${first.id}`).bearerToken(token)
    early.assertStatus(200)
    assert.equal(early.body().data.risk.unavailableReason, 'insufficient_history')

    // the probability after a 50 % fall is higher
    const simulated = await client
      .post('/api/v1/positions/simulate')
      .bearerToken(token)
      .json({ protocol: 'aave_v3', chainId: 1, priceChanges: { WETH: '-0.5' } })
    simulated.assertStatus(200)
    const after = simulated.body().data.risk.liquidationProbability
    assert.isAbove(Number(after['24h']), Number(p['24h']))
  })

  test('no debt: nothing to liquidate', async ({ client, assert }) => {
    const user = await UserFactory.create()
    await seed(user, [snapshotBody({ debt: [] })])
    const response = await client.get('/api/v1/positions').bearerToken(await userToken(user))
    assert.equal(response.body().data[0].risk.unavailableReason, 'no_debt')
  })
})

test.group('Alerts | health-factor alert with the liquidation probability', (group) => {
  group.each.setup(async () => {
    const rollback = await testUtils.db().withGlobalTransaction()
    // prices other suites committed (workers' tests, the demo seed) are not this test's history
    await db.from('price_history').delete()
    return rollback
  })

  test('the message adds the 24 h probability when the model knows it', async ({ assert }) => {
    const user = await UserFactory.create()
    const history = wandering('2026-11-01T00:00:00Z', 100)
    await seed(user, history)
    // WETH at $1,400: HF 1.44, below the default threshold of 1.5
    await seed(user, [
      snapshotBody({
        snapshotAt: '2026-11-05T05:00:00Z',
        collateral: [
          {
            symbol: 'WETH',
            amount: '10',
            valueUsd: '14000',
            priceUsd: '1400',
            liquidationThreshold: '0.825',
          },
        ],
      }),
    ])
    const alert = await db
      .from('alerts')
      .where({ user_id: user.id, type: 'health_factor_low', channel: 'in_app' })
      .firstOrFail()
    assert.match(alert.message, /Chance of liquidation within 24 h at recent volatility: [<>]?\d/)
    assert.match(alert.metadata.liquidationProbability24h, /^(0|1|0\.\d+)$/)
  })

  test('without enough history the message says nothing of it', async ({ assert }) => {
    const user = await UserFactory.create()
    await seed(user, [
      snapshotBody({
        collateral: [
          {
            symbol: 'WETH',
            amount: '10',
            valueUsd: '14000',
            priceUsd: '1400',
            liquidationThreshold: '0.825',
          },
        ],
      }),
    ])
    const alert = await db
      .from('alerts')
      .where({ user_id: user.id, type: 'health_factor_low', channel: 'in_app' })
      .firstOrFail()
    assert.notInclude(alert.message, 'Chance of liquidation')
    assert.notProperty(alert.metadata, 'liquidationProbability24h')
  })
})

test.group('Alerts | liquidation-probability preference', (group) => {
  group.each.setup(async () => {
    const rollback = await testUtils.db().withGlobalTransaction()
    // prices other suites committed (workers' tests, the demo seed) are not this test's history
    await db.from('price_history').delete()
    return rollback
  })

  const at = (iso: string, price: number) =>
    snapshotBody({
      snapshotAt: iso,
      collateral: [
        {
          symbol: 'WETH',
          amount: '10',
          valueUsd: (10 * price).toFixed(2),
          priceUsd: price.toFixed(2),
          liquidationThreshold: '0.825',
        },
      ],
    })

  test('alerts once at the threshold, re-arms below threshold ÷ 1.05, honours snooze', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const token = await userToken(user)
    const patch = await client
      .patch('/api/v1/me')
      .bearerToken(token)
      .json({ preferences: { alertThresholds: { liquidationProbability24h: 0.05 } } })
    patch.assertStatus(200)
    assert.equal(patch.body().data.preferences.alertThresholds.liquidationProbability24h, 0.05)
    await seed(user, wandering('2026-11-01T00:00:00Z', 100))
    const probabilityAlerts = () =>
      db
        .from('alerts')
        .where({ user_id: user.id, type: 'liquidation_probability_high', channel: 'in_app' })
        .orderBy('created_at')
    assert.lengthOf(await probabilityAlerts(), 0)

    // HF 1.05 at ~1 %/h: well above 5 % within a day
    await seed(user, [at('2026-11-05T04:00:00Z', 1018.19)])
    const [first] = await probabilityAlerts()
    assert.match(first.message, /chance of liquidation within 24 h is \d+(\.\d)?% /)
    assert.equal(first.metadata.threshold, '0.05')
    // still high: the rule stays disarmed (no storm)
    await seed(user, [at('2026-11-05T05:00:00Z', 1020)])
    assert.lengthOf(await probabilityAlerts(), 1)
    // back to HF ~2: re-armed; snoozed, the next breach tells nobody
    await seed(user, [at('2026-11-05T06:00:00Z', 2000)])
    await client
      .post('/api/v1/positions/snooze')
      .bearerToken(token)
      .json({
        protocol: 'aave_v3',
        chainId: 1,
        until: new Date(Date.now() + 86_400_000).toISOString(),
      })
      .then((r) => r.assertStatus(200))
    await seed(user, [at('2026-11-05T07:00:00Z', 1018.19)])
    assert.lengthOf(await probabilityAlerts(), 1)
  })

  test('a probability threshold outside 0.001..1 is a 422 naming the field', async ({ client }) => {
    const user = await UserFactory.create()
    const response = await client
      .patch('/api/v1/me')
      .bearerToken(await userToken(user))
      .json({ preferences: { alertThresholds: { liquidationProbability24h: 1.5 } } })
    response.assertStatus(422)
    response.assertBodyContains({
      errors: [{ field: 'preferences.alertThresholds.liquidationProbability24h' }],
    })
  })
})
