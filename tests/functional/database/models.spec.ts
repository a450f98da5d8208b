import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { Position, User, Alert, Intent } from '#models'
import { UserFactory } from '#factories/user_factory'
import { PositionFactory } from '#factories/position_factory'
import { SignalFactory } from '#factories/signal_factory'
import { AlertFactory } from '#factories/alert_factory'

test.group('Models | JSONB and decimals round-trip', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('asset arrays, nested objects and decimal strings come back unchanged', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    const collateral = [
      {
        symbol: 'WETH',
        amount: '12.345678901234567891',
        valueUsd: '30864.197253086419727500',
        priceUsd: '2500.00',
        liquidationThreshold: '0.825',
      },
      { symbol: 'WBTC', amount: '0.00000001', valueUsd: '0.0009', liquidationThreshold: '0.7' },
    ]
    const debt = [
      { symbol: 'USDT', amount: '123456789012345678901234567890.123456', valueUsd: '1e3' },
    ]
    const created = await Position.create({
      userId: user.id,
      walletAddress: user.walletAddress,
      protocol: 'aave_v3',
      chainId: 1,
      healthFactor: '1.234567890123456789012345678901',
      collateral,
      debt,
      metadata: { source: 'indexer', tags: ['a', 'b'], nested: { n: 1 } },
      snapshotAt: (await PositionFactory.make()).snapshotAt,
    })

    const fresh = await Position.findOrFail(created.id)
    assert.deepEqual(fresh.collateral, collateral)
    assert.deepEqual(fresh.debt, debt)
    assert.deepEqual(fresh.metadata, { source: 'indexer', tags: ['a', 'b'], nested: { n: 1 } })
    // numeric keeps every digit and comes back as a string, never a float
    assert.strictEqual(fresh.healthFactor, '1.234567890123456789012345678901')
    const raw = await db.rawQuery(
      `select jsonb_typeof(collateral) as t from positions where id = ?`,
      [created.id]
    )
    assert.equal(raw.rows[0].t, 'array')
  })

  test('empty arrays and null health factor survive', async ({ assert }) => {
    const position = await PositionFactory.apply('noDebt')
      .merge({ userId: (await UserFactory.create()).id })
      .create()
    const fresh = await Position.findOrFail(position.id)
    assert.deepEqual(fresh.debt, [])
    assert.isNull(fresh.healthFactor)
  })

  test('preferences with arrays round-trip; models get UUIDv7 ids', async ({ assert }) => {
    const user = await User.create({
      walletAddress: '0x' + '12'.repeat(20),
      preferences: {
        activeSignals: ['depeg', 'whale_movement'],
        notificationChannels: ['telegram', 'in_app'],
      },
    })
    const fresh = await User.findOrFail(user.id)
    assert.deepEqual(fresh.preferences, {
      activeSignals: ['depeg', 'whale_movement'],
      notificationChannels: ['telegram', 'in_app'],
    })
    assert.match(user.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/)
  })

  test('relations: user -> positions, alerts, intents; alert -> signal', async ({ assert }) => {
    const user = await UserFactory.with('positions', 2).with('intents', 1).create()
    const signal = await SignalFactory.create()
    await AlertFactory.merge({ userId: user.id, signalId: signal.id, type: 'depeg' }).create()

    await user.load('positions')
    await user.load('alerts')
    await user.load('intents')
    assert.lengthOf(user.positions, 2)
    assert.lengthOf(user.alerts, 1)
    assert.lengthOf(user.intents, 1)
    assert.instanceOf(user.intents[0], Intent)

    const alert = await Alert.query().where('id', user.alerts[0].id).preload('signal').firstOrFail()
    assert.equal(alert.signal.id, signal.id)
    assert.equal(alert.signal.asset, 'USDC')
  })

  test('serialization is camelCase and never exposes the Telegram chat id', async ({ assert }) => {
    const user = await UserFactory.apply('telegramLinked').create()
    const json = user.serialize()
    assert.properties(json, ['id', 'walletAddress', 'preferences', 'createdAt', 'updatedAt'])
    assert.notProperty(json, 'telegramChatId')
    assert.notProperty(json, 'telegram_chat_id')
    assert.notProperty(json, 'wallet_address')
  })
})
