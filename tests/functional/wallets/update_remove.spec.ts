import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { UserFactory } from '#factories/user_factory'
import { newAccount, serviceToken, signIn, userToken } from '#tests/helpers/auth'
import { snapshotBody } from '#tests/helpers/snapshots'
import { addProven, addWatched } from './helpers.js'

const CONDITION = '{"metric":"health_factor","operator":"lt","value":"1.2"}'
const ACTION = '{"type":"notify","asset":"USDC","amount":"1"}'

test.group('Wallets | PATCH /me/wallets/:id', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('sets the label and deep-merges preferences; null removes; recorded as wallet.updated', async ({
    client,
    assert,
  }) => {
    const { token, user } = await signIn(client)
    const id = (await addWatched(client, token, newAccount().address, 'Old')).body().data.id

    const first = await client
      .patch(`/api/v1/me/wallets/${id}`)
      .bearerToken(token)
      .json({
        label: 'Treasury',
        preferences: {
          alertThresholds: { healthFactor: '1.8', liquidationProbability24h: 0.05 },
          channels: ['telegram', 'in_app'],
        },
      })
    first.assertStatus(200)
    assert.containsSubset(first.body().data, {
      id,
      label: 'Treasury',
      preferences: {
        alertThresholds: { healthFactor: 1.8, liquidationProbability24h: 0.05 },
        channels: ['telegram', 'in_app'],
      },
    })

    const second = await client
      .patch(`/api/v1/me/wallets/${id}`)
      .bearerToken(token)
      .json({
        label: null,
        preferences: { alertThresholds: { healthFactor: null }, channels: null },
      })
    second.assertStatus(200)
    assert.equal(second.body().data.label, null)
    assert.deepEqual(second.body().data.preferences, {
      alertThresholds: { liquidationProbability24h: 0.05 },
    })
    const row = await db.from('user_wallets').where('id', id).firstOrFail()
    assert.deepEqual(row.preferences, { alertThresholds: { liquidationProbability24h: 0.05 } })

    // the user's own preferences are untouched
    const me = await client.get('/api/v1/me').bearerToken(token)
    assert.deepEqual(me.body().data.preferences.notificationChannels, ['in_app'])

    const events = await db
      .from('event_store')
      .where({ aggregate_type: 'wallet', aggregate_id: id })
      .orderBy('version')
      .select('event_type', 'payload', 'user_id')
    assert.deepEqual(
      events.map((e) => e.event_type),
      ['wallet.added', 'wallet.updated', 'wallet.updated']
    )
    assert.equal(events[1].user_id, user.id)
    assert.deepEqual(events[1].payload.changes, [
      { path: 'label', before: 'Old', after: 'Treasury' },
      {
        path: 'preferences.alertThresholds',
        before: null,
        after: { healthFactor: 1.8, liquidationProbability24h: 0.05 },
      },
      { path: 'preferences.channels', before: null, after: ['telegram', 'in_app'] },
    ])

    // nothing changed: no event
    await client.patch(`/api/v1/me/wallets/${id}`).bearerToken(token).json({ label: null })
    assert.equal(
      (await db.from('event_store').where({ aggregate_type: 'wallet', aggregate_id: id })).length,
      3
    )
  })

  test('the sign-in wallet takes a label and preferences too', async ({ client, assert }) => {
    const { token, user } = await signIn(client)
    const row = await db.from('user_wallets').where('user_id', user.id).firstOrFail()
    const response = await client
      .patch(`/api/v1/me/wallets/${row.id}`)
      .bearerToken(token)
      .json({ label: 'Main', preferences: { alertThresholds: { healthFactor: 1.3 } } })
    response.assertStatus(200)
    assert.containsSubset(response.body().data, {
      address: user.walletAddress,
      proof: 'sign_in',
      label: 'Main',
      preferences: { alertThresholds: { healthFactor: 1.3 } },
    })
  })

  test('bad values are 422 in the one error shape, one entry per field; nothing stored', async ({
    client,
    assert,
  }) => {
    const { token } = await signIn(client)
    const id = (await addWatched(client, token, newAccount().address)).body().data.id
    const response = await client
      .patch(`/api/v1/me/wallets/${id}`)
      .bearerToken(token)
      .json({
        label: 'x'.repeat(65),
        preferences: {
          alertThresholds: { healthFactor: 1, liquidationProbability24h: '2' },
          channels: ['sms'],
        },
      })
    response.assertStatus(422)
    const errors = response.body().errors
    assert.sameDeepMembers(
      errors.map((e: any) => ({ code: e.code, field: e.field })),
      [
        { code: 'E_VALIDATION_ERROR', field: 'label' },
        { code: 'E_VALIDATION_ERROR', field: 'preferences.alertThresholds.healthFactor' },
        {
          code: 'E_VALIDATION_ERROR',
          field: 'preferences.alertThresholds.liquidationProbability24h',
        },
        { code: 'E_VALIDATION_ERROR', field: 'preferences.channels.0' },
      ]
    )
    const hf = errors.find((e: any) => e.field === 'preferences.alertThresholds.healthFactor')
    assert.equal(hf.message, 'The healthFactor field must be more than 1 and at most 10')

    for (const [body, field] of [
      [
        { preferences: { alertThresholds: { healthFactor: '1.5e1' } } },
        'preferences.alertThresholds.healthFactor',
      ],
      [
        { preferences: { alertThresholds: { healthFactor: true } } },
        'preferences.alertThresholds.healthFactor',
      ],
      [{ preferences: { riskProfile: 'aggressive' } }, 'preferences.riskProfile'],
      [{ preferences: { channels: ['email', 'email'] } }, 'preferences.channels'],
      [{ kind: 'proven' }, 'kind'],
    ] as const) {
      const bad = await client.patch(`/api/v1/me/wallets/${id}`).bearerToken(token).json(body)
      bad.assertStatus(422)
      assert.equal(bad.body().errors[0].code, 'E_VALIDATION_ERROR', JSON.stringify(body))
      assert.equal(bad.body().errors[0].field, field, JSON.stringify(body))
    }
    const row = await db.from('user_wallets').where('id', id).firstOrFail()
    assert.deepEqual(row.preferences, {})
    assert.isNull(row.label)
  })

  test("another user's wallet is 404, and it does not change", async ({ client, assert }) => {
    const owner = await UserFactory.create()
    const theirs = await db.from('user_wallets').where('user_id', owner.id).firstOrFail()
    const token = await userToken(await UserFactory.create())
    const response = await client
      .patch(`/api/v1/me/wallets/${theirs.id}`)
      .bearerToken(token)
      .json({ label: 'mine now' })
    response.assertStatus(404)
    assert.deepEqual(response.body().errors, [
      { code: 'E_NOT_FOUND', message: 'The wallet does not exist' },
    ])
    assert.isNull((await db.from('user_wallets').where('id', theirs.id).firstOrFail()).label)
  })
})

/** A wallet's keyed rows: a snapshot through the service ingest, then states, a snooze, intents, alerts. */
async function holdings(
  client: Parameters<typeof signIn>[0],
  userId: string,
  address: string,
  snapshotAt = '2026-11-01T12:00:00Z'
) {
  const service = await serviceToken(['positions:write'])
  const ingest = await client
    .post('/api/v1/positions/batch')
    .bearerToken(service)
    .json({ snapshots: [snapshotBody({ walletAddress: address, snapshotAt })] })
  ingest.assertStatus(201)
  const key = [userId, address]
  for (const table of ['health_factor_alert_state', 'liquidation_probability_alert_state']) {
    await db.rawQuery(
      `insert into ${table} (user_id, wallet_address, protocol, chain_id, armed, band, last_snapshot_at)
       values (?, ?, 'aave_v3', 1, false, 'low', now())
       on conflict (user_id, wallet_address, protocol, chain_id) do update set band = 'low'`,
      key
    )
  }
  await db.rawQuery(
    `insert into position_snoozes (user_id, wallet_address, protocol, chain_id, until)
     values (?, ?, 'aave_v3', 1, now() + interval '1 day')`,
    key
  )
  const { rows: intents } = await db.rawQuery(
    `insert into intents (user_id, wallet_address, protocol, chain_id, condition, action, status)
     values (?, ?, 'aave_v3', 1, ?, ?, 'active'), (?, ?, 'aave_v3', 1, ?, ?, 'paused'),
            (?, ?, 'aave_v3', 1, ?, ?, 'expired')
     returning id, status`,
    [...key, CONDITION, ACTION, ...key, CONDITION, ACTION, ...key, CONDITION, ACTION]
  )
  const { rows: alerts } = await db.rawQuery(
    `insert into alerts (user_id, wallet_address, type, severity, channel, message, status, metadata)
     values (?, ?, 'health_factor', 'high', 'telegram', 'x', 'pending', '{"snapshotId":"s"}'),
            (?, ?, 'health_factor', 'high', 'in_app', 'x', 'sent', '{"snapshotId":"s"}')
     returning id, status`,
    [...key, ...key]
  )
  return { intents, alerts }
}

async function countKeyed(userId: string, address: string) {
  const counts: Record<string, number> = {}
  for (const table of [
    'position_heads',
    'health_factor_alert_state',
    'liquidation_probability_alert_state',
    'position_snoozes',
    'positions',
  ]) {
    const { rows } = await db.rawQuery(
      `select count(*)::int as n from ${table} where user_id = ? and wallet_address = ?`,
      [userId, address]
    )
    counts[table] = rows[0].n
  }
  return counts
}

test.group('Wallets | DELETE /me/wallets/:id', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('a watched wallet goes with its heads, states, snoozes, snapshots; its intents cancelled, pending alerts failed', async ({
    client,
    assert,
  }) => {
    const { token, user } = await signIn(client)
    const address = newAccount().address.toLowerCase()
    const id = (await addWatched(client, token, address)).body().data.id
    const { intents, alerts } = await holdings(client, user.id, address)
    // another watcher of the same wallet keeps everything
    const other = await UserFactory.create()
    await db.table('user_wallets').insert({ user_id: other.id, address, kind: 'watched' })
    const service = await serviceToken(['positions:write'])
    await client
      .post('/api/v1/positions/batch')
      .bearerToken(service)
      .json({
        snapshots: [snapshotBody({ walletAddress: address, snapshotAt: '2026-11-01T13:00:00Z' })],
      })

    const listed = await client.get('/api/v1/positions').bearerToken(token)
    assert.include(
      listed.body().data.map((p: any) => p.walletAddress),
      address
    )
    assert.deepEqual(await countKeyed(user.id, address), {
      position_heads: 1,
      health_factor_alert_state: 1,
      liquidation_probability_alert_state: 1,
      position_snoozes: 1,
      positions: 2,
    })

    const response = await client.delete(`/api/v1/me/wallets/${id}`).bearerToken(token)
    response.assertStatus(204)
    assert.equal(response.text(), '')

    assert.isNull(await db.from('user_wallets').where('id', id).first())
    assert.deepEqual(await countKeyed(user.id, address), {
      position_heads: 0,
      health_factor_alert_state: 0,
      liquidation_probability_alert_state: 0,
      position_snoozes: 0,
      positions: 0,
    })
    assert.equal((await countKeyed(other.id, address)).positions, 1)

    const intentRows = await db
      .from('intents')
      .whereIn(
        'id',
        intents.map((i: any) => i.id)
      )
      .orderBy('id')
      .select('id', 'status', 'deleted_at')
    const byId = new Map(intentRows.map((r) => [r.id, r]))
    for (const intent of intents) {
      const row = byId.get(intent.id)!
      if (intent.status === 'expired') {
        assert.equal(row.status, 'expired')
        assert.isNull(row.deleted_at)
      } else {
        assert.equal(row.status, 'cancelled')
        assert.isNotNull(row.deleted_at)
      }
    }
    const cancelled = await db
      .from('event_store')
      .where({ aggregate_type: 'intent', event_type: 'intent.cancelled' })
      .whereIn(
        'aggregate_id',
        intents.map((i: any) => i.id)
      )
      .select('payload', 'user_id')
    assert.sameDeepMembers(cancelled, [
      { user_id: user.id, payload: { userId: user.id, from: 'active', reason: 'wallet_removed' } },
      { user_id: user.id, payload: { userId: user.id, from: 'paused', reason: 'wallet_removed' } },
    ])

    const alertRows = await db
      .from('alerts')
      .whereIn(
        'id',
        alerts.map((a: any) => a.id)
      )
      .select('status', 'last_error', 'channel')
    assert.sameDeepMembers(alertRows, [
      { status: 'failed', last_error: 'wallet removed', channel: 'telegram' },
      { status: 'sent', last_error: null, channel: 'in_app' },
    ])
    // alert events are journal-fed (docs/adr/0012): the journal row holds alert.failed
    const { rows: journal } = await db.rawQuery(
      `select x.item from event_journal j, jsonb_array_elements(j.items) x(item)
        where j.aggregate_type = 'alert' and x.item->>'t' = 'alert.failed'`
    )
    const pendingId = alerts.find((a: any) => a.status === 'pending').id
    assert.lengthOf(journal, 1)
    assert.equal(journal[0].item.a, pendingId)
    assert.deepEqual(journal[0].item.p, {
      userId: user.id,
      channel: 'telegram',
      attempts: 0,
      error: 'wallet removed',
    })

    const removed = await db
      .from('event_store')
      .where({ aggregate_type: 'wallet', aggregate_id: id, event_type: 'wallet.removed' })
      .firstOrFail()
    assert.equal(removed.user_id, user.id)
    assert.deepEqual(removed.payload, {
      userId: user.id,
      address,
      kind: 'watched',
      intentsCancelled: 2,
      alertsFailed: 1,
      snapshotsDeleted: 2,
    })

    const after = await client.get('/api/v1/positions').bearerToken(token)
    after.assertStatus(200)
    assert.notInclude(
      after.body().data.map((p: any) => p.walletAddress),
      address
    )
    const gone = await client.get(`/api/v1/me/wallets/${id}`).bearerToken(token)
    gone.assertStatus(404)
    assert.equal(gone.body().errors[0].code, 'E_NOT_FOUND')
  })

  test("a proven wallet's snapshots stay in the history; it leaves GET /positions", async ({
    client,
    assert,
  }) => {
    const { token, user } = await signIn(client)
    const account = newAccount()
    const address = account.address.toLowerCase()
    const id = (await addProven(client, token, account)).body().data.id
    await holdings(client, user.id, address)

    const response = await client.delete(`/api/v1/me/wallets/${id}`).bearerToken(token)
    response.assertStatus(204)
    assert.deepEqual(await countKeyed(user.id, address), {
      position_heads: 0,
      health_factor_alert_state: 0,
      liquidation_probability_alert_state: 0,
      position_snoozes: 0,
      positions: 1,
    })
    const latest = await client.get('/api/v1/positions').bearerToken(token)
    latest.assertStatus(200)
    assert.notInclude(
      latest.body().data.map((p: any) => p.walletAddress),
      address
    )
    const history = await client.get('/api/v1/positions/history').bearerToken(token)
    history.assertStatus(200)
    assert.deepEqual(
      history.body().data.map((p: any) => [p.walletAddress, p.snapshotAt]),
      [[address, '2026-11-01T12:00:00.000Z']]
    )
    const removed = await db
      .from('event_store')
      .where({ aggregate_type: 'wallet', aggregate_id: id, event_type: 'wallet.removed' })
      .firstOrFail()
    assert.containsSubset(removed.payload, { kind: 'proven', snapshotsDeleted: 0 })
  })

  test('the sign-in wallet cannot be removed: 422 E_WALLET_SIGN_IN, nothing changes', async ({
    client,
    assert,
  }) => {
    const { token, user } = await signIn(client)
    await holdings(client, user.id, user.walletAddress)
    const row = await db.from('user_wallets').where('user_id', user.id).firstOrFail()
    const response = await client.delete(`/api/v1/me/wallets/${row.id}`).bearerToken(token)
    response.assertStatus(422)
    assert.deepEqual(response.body().errors, [
      {
        code: 'E_WALLET_SIGN_IN',
        message: 'The wallet you sign in with cannot be removed from your list',
      },
    ])
    assert.isNotNull(await db.from('user_wallets').where('id', row.id).first())
    assert.equal((await countKeyed(user.id, user.walletAddress)).position_heads, 1)
    const intents = await db
      .from('intents')
      .where('user_id', user.id)
      .whereIn('status', ['active', 'paused'])
    assert.lengthOf(intents, 2)
  })

  test("another user's wallet, an unknown id: 404, and nothing is removed", async ({
    client,
    assert,
  }) => {
    const owner = await UserFactory.create()
    const ownerToken = await userToken(owner)
    const address = newAccount().address.toLowerCase()
    const id = (await addWatched(client, ownerToken, address)).body().data.id
    await holdings(client, owner.id, address)
    const { token } = await signIn(client)
    for (const target of [id, '0192f7a0-0000-7000-8000-000000000000']) {
      const response = await client.delete(`/api/v1/me/wallets/${target}`).bearerToken(token)
      response.assertStatus(404)
      assert.deepEqual(response.body().errors, [
        { code: 'E_NOT_FOUND', message: 'The wallet does not exist' },
      ])
    }
    assert.isNotNull(await db.from('user_wallets').where('id', id).first())
    assert.equal((await countKeyed(owner.id, address)).positions, 1)
  })
})
