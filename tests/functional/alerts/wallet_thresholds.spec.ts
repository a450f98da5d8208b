import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { UserFactory } from '#factories/user_factory'
import { recordSnapshots } from '#services/positions/record_snapshots'
import { snapshotBody } from '#tests/helpers/snapshots'
import type { User } from '#models'

const TREASURY = '0x' + '7e'.repeat(20)

/** What a service (an indexer, chain sync) ingests: public data, stored for every holder. */
function ingest(snapshots: Record<string, any>[]) {
  return recordSnapshots(
    { kind: 'service' },
    snapshots.map(
      (s) => ({ ...s, snapshotAt: DateTime.fromISO(s.snapshotAt, { zone: 'utc' }) }) as any
    )
  )
}

async function watch(user: User, address: string, preferences: object) {
  await db.rawQuery(
    `insert into user_wallets (user_id, address, kind, preferences) values (?, ?, 'watched', ?::jsonb)`,
    [user.id, address, JSON.stringify(preferences)]
  )
}

/** WETH at `price`, 10 of them against 8,000 USDC: HF = 10 × price × 0.825 / 8000. */
const at = (walletAddress: string, iso: string, price: number) =>
  snapshotBody({
    walletAddress,
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

/** 100 hours of WETH wandering ±1 % an hour: enough history for a forecast. */
function wandering(walletAddress: string, start: string, hours: number) {
  const t0 = new Date(start).getTime()
  let price = 2000
  return Array.from({ length: hours }, (_, i) => {
    price *= i % 3 === 0 ? 1.01 : i % 3 === 1 ? 0.995 : 0.996
    return at(walletAddress, new Date(t0 + i * 3600_000).toISOString(), price)
  })
}

test.group('Alerts | per-wallet thresholds and channels', (group) => {
  group.each.setup(async () => {
    const rollback = await testUtils.db().withGlobalTransaction()
    // prices other suites committed are not this test's history
    await db.from('price_history').delete()
    return rollback
  })

  test('the probability rule: a wallet’s own threshold and channels, the user’s other wallet not watched', async ({
    assert,
  }) => {
    // the user asked for no probability alerts and has only in-app; the treasury asks for both
    const user = await UserFactory.merge({
      preferences: { alertThresholds: { healthFactor: 1.01 } },
    }).create()
    await watch(user, TREASURY, {
      alertThresholds: { liquidationProbability24h: 0.05 },
      channels: ['email'],
    })
    await ingest([
      ...wandering(user.walletAddress, '2026-11-01T00:00:00Z', 100),
      ...wandering(TREASURY, '2026-11-01T00:00:00Z', 100),
    ])
    // HF 1.05 at ~1 %/h on both wallets: well above 5 % within a day
    await ingest([
      at(user.walletAddress, '2026-11-05T04:00:00Z', 1018.19),
      at(TREASURY, '2026-11-05T04:00:00Z', 1018.19),
    ])
    const alerts = await db
      .from('alerts')
      .where({ user_id: user.id, type: 'liquidation_probability_high' })
      .orderBy('channel')
    assert.deepEqual(
      alerts.map((a) => [a.wallet_address, a.channel, a.status, a.metadata.threshold]),
      [
        [TREASURY, 'email', 'pending', '0.05'],
        [TREASURY, 'in_app', 'sent', '0.05'],
      ]
    )
    assert.match(alerts[0].message, /chance of liquidation within 24 h is \d+(\.\d)?% /)
    // the health-factor rule: 1.05 is above the user's 1.01 on both wallets
    assert.lengthOf(
      await db.from('alerts').where({ user_id: user.id, type: 'health_factor_low' }),
      0
    )
  })

  test('two users watching one treasury: each with their own threshold for it', async ({
    assert,
  }) => {
    const cautious = await UserFactory.create()
    const relaxed = await UserFactory.create()
    await watch(cautious, TREASURY, { alertThresholds: { healthFactor: '2.0' } })
    await watch(relaxed, TREASURY, {})
    // HF 1.8: below the cautious user's 2.0 for the treasury, above the relaxed one's 1.5
    const debt = (16500 / 1.8).toFixed(2)
    await ingest([
      snapshotBody({
        walletAddress: TREASURY,
        debt: [{ symbol: 'USDC', amount: debt, valueUsd: debt, priceUsd: '1' }],
      }),
    ])
    const alerts = await db
      .from('alerts')
      .where('wallet_address', TREASURY)
      .select('user_id', 'channel', 'metadata')
    assert.deepEqual(
      alerts.map((a) => [a.user_id, a.channel, a.metadata.threshold]),
      [[cautious.id, 'in_app', '2']]
    )
  })

  test('an intent’s alert goes to its wallet’s channels', async ({ assert }) => {
    const user = await UserFactory.apply('telegramLinked').create()
    await db
      .from('user_wallets')
      .where({ user_id: user.id, address: user.walletAddress })
      .update({ preferences: JSON.stringify({ channels: ['email'] }) })
    const { rows } = await db.rawQuery(
      `insert into intents (user_id, name, protocol, chain_id, condition, action, cooldown)
       values (?, 'watch', 'aave_v3', 1, '{"metric":"health_factor","operator":"lt","value":"1.2"}',
               '{"type":"notify","asset":"USDC","amount":"1"}', 0) returning id`,
      [user.id]
    )
    const debt = (16500 / 1.15).toFixed(2)
    await ingest([
      snapshotBody({
        walletAddress: user.walletAddress,
        debt: [{ symbol: 'USDC', amount: debt, valueUsd: debt, priceUsd: '1' }],
      }),
    ])
    const alerts = await db
      .from('alerts')
      .where({ user_id: user.id, type: 'intent_triggered' })
      .orderBy('channel')
    assert.deepEqual(
      alerts.map((a) => [a.channel, a.wallet_address, a.metadata.intentId]),
      [
        ['email', user.walletAddress, rows[0].id],
        ['in_app', user.walletAddress, rows[0].id],
      ]
    )
    // the user's own channel (telegram) is not used for this wallet
    const hf = await db.from('alerts').where({ user_id: user.id, type: 'health_factor_low' })
    assert.sameMembers(
      hf.map((a) => a.channel),
      ['email', 'in_app']
    )
  })
})
