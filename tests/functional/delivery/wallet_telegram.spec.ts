import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import delivery from '#config/delivery'
import { UserFactory } from '#factories/user_factory'
import { drainChannel } from '#services/delivery/deliver_alerts'
import { FakeTelegram } from '#tests/helpers/fake_telegram'
import { truncateAll } from '#tests/helpers/database'
import { serviceToken, userToken } from '#tests/helpers/auth'
import { snapshotBody } from '#tests/helpers/snapshots'
import { alertRow, eventsOf, pendingAlert } from '#tests/helpers/alerts'
import type { User } from '#models'

const TREASURY = '0x' + '7e'.repeat(20)
const OTHER = '0x' + '0c'.repeat(20)
const DM = '5550001'
const GROUP = '-1001234567890'

/** 10 WETH at $2,000 (LT 0.825) = $16,500 of borrowing capacity: debt = 16500 / HF. */
function withHealthFactor(walletAddress: string, hf: number, at: string) {
  const debt = (16500 / hf).toFixed(2)
  return snapshotBody({
    walletAddress,
    snapshotAt: at,
    debt: [{ symbol: 'USDC', amount: debt, valueUsd: debt, priceUsd: '1' }],
  })
}

async function watch(
  user: User,
  address: string,
  fields: { preferences?: object; telegramChatId?: string | null; label?: string } = {}
): Promise<string> {
  const { rows } = await db.rawQuery(
    `insert into user_wallets (user_id, address, kind, label, preferences, telegram_chat_id)
     values (?, ?, 'watched', ?, ?::jsonb, ?) returning id`,
    [
      user.id,
      address,
      fields.label ?? null,
      JSON.stringify(fields.preferences ?? {}),
      fields.telegramChatId ?? null,
    ] as never[]
  )
  return rows[0].id
}

/*
 * Issue 26's example, end to end: a service ingests snapshots (POST /positions),
 * the health-factor rule decides with each wallet's own threshold and channels,
 * and delivery sends through grammY to a local Bot API server — to the chat
 * linked to the alert's wallet, else to the user's own.
 */
test.group('Delivery | a wallet’s own thresholds, channels and Telegram group', (group) => {
  const telegram = new FakeTelegram()
  const originalRoot = delivery.telegram.apiRoot

  group.setup(async () => {
    await telegram.start()
    delivery.telegram.apiRoot = telegram.url
    return async () => {
      delivery.telegram.apiRoot = originalRoot
      await telegram.stop()
    }
  })
  group.each.setup(async () => {
    telegram.reset()
    await truncateAll()
    return () => truncateAll()
  })

  const ingest = async (client: any, body: object) => {
    const response = await client
      .post('/api/v1/positions')
      .bearerToken(await serviceToken(['positions:write']))
      .json(body)
    response.assertStatus(201)
  }
  const alertsOf = (userId: string) =>
    db
      .from('alerts')
      .where('user_id', userId)
      .orderBy('created_at')
      .orderBy('wallet_address')
      .orderBy('channel')

  test('a treasury at HF 2.0 alerts its team’s group at 1.8; the user’s own loan alerts their DM at 1.4', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.merge({
      telegramChatId: DM,
      preferences: { alertThresholds: { healthFactor: 1.5 }, notificationChannels: ['telegram'] },
    }).create()
    await watch(user, TREASURY, {
      label: 'DAO treasury',
      preferences: { alertThresholds: { healthFactor: 2.0 } },
      telegramChatId: GROUP,
    })

    // HF 1.8 on both: below the treasury's 2.0, above the user's 1.5
    await ingest(client, withHealthFactor(user.walletAddress, 1.8, '2026-11-01T00:00:00Z'))
    await ingest(client, withHealthFactor(TREASURY, 1.8, '2026-11-01T00:00:00Z'))
    let alerts = await alertsOf(user.id)
    assert.deepEqual(
      alerts.map((a) => [a.wallet_address, a.channel, a.status, a.metadata.threshold]),
      [
        [TREASURY, 'in_app', 'sent', '2'],
        [TREASURY, 'telegram', 'pending', '2'],
      ]
    )
    assert.equal(
      alerts[1].message,
      // a group may hear several wallets: the alert names its wallet
      'DAO treasury (0x7e7e…7e7e), Aave v3 on Ethereum: health factor 1.800 is below your threshold 2. ' +
        'Collateral $20,000.00, debt $9,166.67 — collateral can fall 44.44% before liquidation. ' +
        'WETH is liquidated at $1,111.11 (now $2,000.00).'
    )

    const first = await drainChannel('telegram')
    assert.include(first, { sent: 1, failed: 0 })
    assert.lengthOf(telegram.sent(DM), 0, 'nothing to the user’s DM')
    const [toGroup] = telegram.sent(GROUP)
    assert.equal(String(toGroup.payload.chat_id), GROUP)
    assert.equal(
      toGroup.payload.text,
      '🟠 <b>HIGH · Health factor low</b>\n' +
        'DAO treasury (0x7e7e…7e7e), Aave v3 on Ethereum: health factor 1.800 is below your threshold 2. ' +
        'Collateral $20,000.00, debt $9,166.67 — collateral can fall 44.44% before liquidation. ' +
        'WETH is liquidated at $1,111.11 (now $2,000.00).'
    )

    // HF 1.4 on the user's own wallet: their 1.5, their DM
    await ingest(client, withHealthFactor(user.walletAddress, 1.4, '2026-11-01T01:00:00Z'))
    alerts = await alertsOf(user.id)
    const own = alerts.filter((a) => a.wallet_address === user.walletAddress)
    assert.deepEqual(
      own.map((a) => [a.channel, a.status, a.metadata.threshold]),
      [
        ['in_app', 'sent', '1.5'],
        ['telegram', 'pending', '1.5'],
      ]
    )
    const second = await drainChannel('telegram')
    assert.include(second, { sent: 1, failed: 0 })
    const [toDm] = telegram.sent(DM)
    assert.match(toDm.payload.text, /health factor 1\.400 is below your threshold 1\.5\./)
    assert.lengthOf(telegram.sent(GROUP), 1, 'the group got only the treasury’s alert')
  })

  test('a wallet that sets nothing follows the user’s threshold and channels; its group still gets its alerts', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.merge({
      telegramChatId: DM,
      preferences: { alertThresholds: { healthFactor: 1.5 }, notificationChannels: ['telegram'] },
    }).create()
    await watch(user, TREASURY, { telegramChatId: GROUP })
    // channels set on another wallet: email only, its alerts reach no Telegram chat
    await watch(user, OTHER, { preferences: { channels: ['email'] } })

    await ingest(client, withHealthFactor(TREASURY, 1.8, '2026-11-01T00:00:00Z'))
    assert.lengthOf(await alertsOf(user.id), 0, '1.8 is above the user’s 1.5')

    await ingest(client, withHealthFactor(TREASURY, 1.4, '2026-11-01T01:00:00Z'))
    await ingest(client, withHealthFactor(OTHER, 1.4, '2026-11-01T01:00:00Z'))
    const alerts = await alertsOf(user.id)
    assert.deepEqual(
      alerts.map((a) => [a.wallet_address, a.channel, a.metadata.threshold]),
      [
        [TREASURY, 'in_app', '1.5'],
        [TREASURY, 'telegram', '1.5'],
        [OTHER, 'email', '1.5'],
        [OTHER, 'in_app', '1.5'],
      ]
    )
    await drainChannel('telegram')
    assert.lengthOf(telegram.sent(DM), 0)
    assert.lengthOf(telegram.sent(GROUP), 1)
    assert.match(telegram.sent(GROUP)[0].payload.text, /health factor 1\.400/)
  })

  test('unlinking the group (DELETE /me/wallets/:id/telegram) sends the pending alert to the user’s chat', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.merge({
      telegramChatId: DM,
      preferences: { notificationChannels: ['telegram'] },
    }).create()
    const walletId = await watch(user, TREASURY, {
      preferences: { alertThresholds: { healthFactor: 2.0 } },
      telegramChatId: GROUP,
    })
    await ingest(client, withHealthFactor(TREASURY, 1.8, '2026-11-01T00:00:00Z'))
    const pending = await db
      .from('alerts')
      .where({ user_id: user.id, channel: 'telegram' })
      .firstOrFail()
    assert.equal(pending.wallet_address, TREASURY)

    // resolved at delivery: the alert was made while the group was linked
    const token = await userToken(user)
    ;(
      await client.delete(`/api/v1/me/wallets/${walletId}/telegram`).bearerToken(token)
    ).assertStatus(204)
    // idempotent
    ;(
      await client.delete(`/api/v1/me/wallets/${walletId}/telegram`).bearerToken(token)
    ).assertStatus(204)
    const wallet = await db.from('user_wallets').where('id', walletId).firstOrFail()
    assert.isNull(wallet.telegram_chat_id)
    assert.equal((await db.from('users').where('id', user.id).first()).telegram_chat_id, DM)

    await drainChannel('telegram')
    assert.lengthOf(telegram.sent(GROUP), 0)
    const [toDm] = telegram.sent(DM)
    assert.match(toDm.payload.text, /health factor 1\.800 is below your threshold 2\./)
    assert.equal((await alertRow(pending.id)).status, 'sent')

    const events = await db
      .from('event_store')
      .where({ aggregate_id: user.id, event_type: 'telegram.unlinked' })
    assert.lengthOf(events, 1, 'recorded once')
    assert.deepEqual(events[0].payload, { reason: 'user', walletId })
  })

  test('a group that removed the bot (403) unlinks that wallet only; the user’s chat stays', async ({
    assert,
  }) => {
    const user = await UserFactory.merge({
      telegramChatId: DM,
      preferences: { notificationChannels: ['telegram'] },
    }).create()
    const walletId = await watch(user, TREASURY, { telegramChatId: GROUP })
    telegram.answer(GROUP, {
      status: 403,
      description: 'Forbidden: bot was kicked from the supergroup chat',
    })
    const id = await walletAlert(user.id, TREASURY, 'to the group')
    const signal = await pendingAlert(user.id, 'telegram', { message: 'no wallet' })

    const result = await drainChannel('telegram')
    assert.include(result, { sent: 1, failed: 1 })
    const row = await alertRow(id)
    assert.equal(row.status, 'failed')
    assert.match(row.last_error, /403/)
    assert.isNull((await db.from('user_wallets').where('id', walletId).first()).telegram_chat_id)
    assert.equal((await db.from('users').where('id', user.id).first()).telegram_chat_id, DM)
    assert.equal((await alertRow(signal)).status, 'sent')
    assert.lengthOf(telegram.sent(DM), 1)
    assert.match(telegram.sent(DM)[0].payload.text, /no wallet/)

    const unlinked = await db
      .from('event_store')
      .where({ aggregate_id: user.id, event_type: 'telegram.unlinked' })
    assert.deepEqual(
      unlinked.map((e) => e.payload),
      [{ reason: 'blocked', walletId }]
    )
    assert.deepEqual(await eventsOf(id), ['alert.failed'])

    // the next alert of that wallet goes to the user's chat
    await walletAlert(user.id, TREASURY, 'after the kick')
    await drainChannel('telegram')
    assert.match(telegram.sent(DM)[1].payload.text, /after the kick/)
  })

  test('a group upgraded to a supergroup: the wallets linked to it follow to the new id', async ({
    assert,
  }) => {
    const user = await UserFactory.merge({ telegramChatId: DM }).create()
    const walletId = await watch(user, TREASURY, { telegramChatId: '-4001' })
    telegram.answer('-4001', {
      status: 400,
      description: 'Bad Request: group chat was upgraded to a supergroup chat',
      parameters: { migrate_to_chat_id: -1009990001 },
    })
    const id = await walletAlert(user.id, TREASURY, 'moved')
    await drainChannel('telegram')
    await db.from('alerts').where('id', id).update({ deliver_after: null })
    await drainChannel('telegram')
    assert.equal(
      (await db.from('user_wallets').where('id', walletId).first()).telegram_chat_id,
      '-1009990001'
    )
    assert.equal((await db.from('users').where('id', user.id).first()).telegram_chat_id, DM)
    assert.match(telegram.sent('-1009990001')[0].payload.text, /moved/)
    assert.equal((await alertRow(id)).status, 'sent')
  })
})

async function walletAlert(userId: string, wallet: string, message: string): Promise<string> {
  const { rows } = await db.rawQuery(
    `insert into alerts (user_id, wallet_address, type, severity, channel, message, metadata, status)
     values (?, ?, 'health_factor_low', 'high', 'telegram', ?, ?::jsonb, 'pending') returning id`,
    [userId, wallet, message, JSON.stringify({ snapshotId: null, walletAddress: wallet })]
  )
  return rows[0].id
}
