import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { DateTime } from 'luxon'
import { decodeFunctionData, getAddress } from 'viem'
import features from '#config/features'
import { UserFactory } from '#factories/user_factory'
import { AAVE_V3_POOL_ABI } from '#domain/intents/transactions'
import { AAVE_V3 } from '#domain/intents/registry'
import { recordSnapshots, type SnapshotInput } from '#services/positions/record_snapshots'
import { expireIntents } from '#services/intents/intents'
import { userToken } from '#tests/helpers/auth'
import type { User } from '#models'

const intentBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'Repay if risky',
  protocol: 'aave_v3',
  chainId: 1,
  condition: { metric: 'health_factor', operator: 'lt', value: '1.2' },
  action: { type: 'repay', asset: 'USDT', amount: '1000' },
  cooldownSeconds: 0,
  ...overrides,
})

let minute = 0
/** A snapshot with exactly the given HF (the indexer's, stored as given). */
function snap(
  user: User,
  healthFactor: string | null,
  overrides: Partial<SnapshotInput> = {}
): SnapshotInput {
  minute++
  return {
    walletAddress: user.walletAddress,
    protocol: 'aave_v3',
    chainId: 1,
    healthFactor,
    collateral: [
      { symbol: 'WETH', amount: '10', valueUsd: '20000', liquidationThreshold: '0.825' },
    ],
    debt: healthFactor === null ? [] : [{ symbol: 'USDT', amount: '8000', valueUsd: '8000' }],
    snapshotAt: DateTime.fromISO('2026-11-01T00:00:00Z').plus({ minutes: minute }),
    ...overrides,
  }
}

async function executionsOf(intentId: string) {
  return db.from('intent_executions').where('intent_id', intentId).orderBy('id')
}

test.group('Intents | API', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('create, read, list; events; another user gets 404 everywhere', async ({
    assert,
    client,
  }) => {
    const owner = await UserFactory.create()
    const token = await userToken(owner)
    const created = await client.post('/api/v1/intents').bearerToken(token).json(intentBody())
    created.assertStatus(201)
    const intent = created.body().data
    assert.containsSubset(intent, {
      name: 'Repay if risky',
      protocol: 'aave_v3',
      chainId: 1,
      condition: { metric: 'health_factor', operator: 'lt', value: '1.2' },
      action: { type: 'repay', asset: 'USDT', amount: '1000' },
      status: 'active',
      cooldownSeconds: 0,
      maxExecutions: null,
      executionsCount: 0,
    })
    const list = await client.get('/api/v1/intents').bearerToken(token)
    assert.deepEqual(
      list.body().data.map((i: { id: string }) => i.id),
      [intent.id]
    )
    const events = await db.from('event_store').where('aggregate_id', intent.id)
    assert.deepEqual(
      events.map((e) => e.event_type),
      ['intent.created']
    )

    const other = await userToken(await UserFactory.create())
    for (const [method, path] of [
      ['get', `/api/v1/intents/${intent.id}`],
      ['patch', `/api/v1/intents/${intent.id}`],
      ['delete', `/api/v1/intents/${intent.id}`],
      ['get', `/api/v1/intents/${intent.id}/executions`],
    ] as const) {
      const response = await client
        .request(path, method)
        .bearerToken(other)
        .json({ status: 'paused' })
      response.assertStatus(404)
      assert.equal(response.body().errors[0].code, 'E_NOT_FOUND')
    }
    assert.lengthOf((await client.get('/api/v1/intents').bearerToken(other)).body().data, 0)
    const still = await db.from('intents').where('id', intent.id).first()
    assert.equal(still.status, 'active')
  })

  test('validation: decimal value, positive amount, known asset, decimals, no "max" supply', async ({
    assert,
    client,
  }) => {
    const token = await userToken(await UserFactory.create())
    const cases: [Record<string, unknown>, string][] = [
      [{ condition: { metric: 'health_factor', operator: 'lt', value: '1e3' } }, 'condition.value'],
      [
        { condition: { metric: 'health_factor', operator: 'below', value: '1.2' } },
        'condition.operator',
      ],
      [{ condition: { metric: 'ltv', operator: 'lt', value: '1.2' } }, 'condition.metric'],
      [{ action: { type: 'repay', asset: 'USDT', amount: '0' } }, 'action.amount'],
      [{ action: { type: 'repay', asset: 'USDT', amount: '-5' } }, 'action.amount'],
      [{ action: { type: 'repay', asset: 'PEPE', amount: '5' } }, 'action.asset'],
      [{ action: { type: 'repay', asset: 'USDT', amount: '1.1234567' } }, 'action.amount'],
      [{ action: { type: 'supply', asset: 'WETH', amount: 'max' } }, 'action.amount'],
      // 2e59 DAI is past uint256 in 18 decimals
      [{ action: { type: 'repay', asset: 'DAI', amount: `2${'0'.repeat(59)}` } }, 'action.amount'],
      [{ action: { type: 'swap', asset: 'WETH', amount: '1' } }, 'action.type'],
      [{ cooldownSeconds: -1 }, 'cooldownSeconds'],
      [{ expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt'],
    ]
    for (const [override, field] of cases) {
      const response = await client
        .post('/api/v1/intents')
        .bearerToken(token)
        .json(intentBody(override))
      response.assertStatus(422)
      assert.equal(response.body().errors[0].field, field, JSON.stringify(override))
    }
    // A protocol without a market refuses a transaction; notify prepares none, so it takes
    // any protocol, and its asset need not be known.
    const noMarket = await client
      .post('/api/v1/intents')
      .bearerToken(token)
      .json(
        intentBody({
          protocol: 'morpho_blue',
          action: { type: 'repay', asset: 'PEPE', amount: '5' },
        })
      )
    noMarket.assertStatus(422)
    assert.equal(noMarket.body().errors[0].field, 'protocol')
    ;(
      await client
        .post('/api/v1/intents')
        .bearerToken(token)
        .json(
          intentBody({
            protocol: 'morpho_blue',
            action: { type: 'notify', asset: 'PEPE', amount: '5' },
          })
        )
    ).assertStatus(201)
    ;(
      await client
        .post('/api/v1/intents')
        .bearerToken(token)
        .json(intentBody({ action: { type: 'notify', asset: 'ANY', amount: '1' } }))
    ).assertStatus(201)
    assert.equal(Number((await db.from('intents').count('* as n').first()).n), 2)
  })

  test('at most 50 active intents; a paused one does not count until resumed', async ({
    assert,
    client,
  }) => {
    const user = await UserFactory.create()
    const token = await userToken(user)
    await db.table('intents').multiInsert(
      Array.from({ length: 49 }, () => ({
        user_id: user.id,
        protocol: 'aave_v3',
        chain_id: 1,
        condition: JSON.stringify({ metric: 'health_factor', operator: 'lt', value: '1.2' }),
        action: JSON.stringify({ type: 'notify', asset: 'USDC', amount: '1' }),
      }))
    )
    const last = await client.post('/api/v1/intents').bearerToken(token).json(intentBody())
    last.assertStatus(201)
    const over = await client.post('/api/v1/intents').bearerToken(token).json(intentBody())
    over.assertStatus(409)
    assert.equal(over.body().errors[0].code, 'E_INTENT_LIMIT')

    const id = last.body().data.id
    ;(
      await client.patch(`/api/v1/intents/${id}`).bearerToken(token).json({ status: 'paused' })
    ).assertStatus(200)
    ;(await client.post('/api/v1/intents').bearerToken(token).json(intentBody())).assertStatus(201)
    const resume = await client
      .patch(`/api/v1/intents/${id}`)
      .bearerToken(token)
      .json({ status: 'active' })
    resume.assertStatus(409)
    assert.equal(resume.body().errors[0].code, 'E_INTENT_LIMIT')
  })

  test('PATCH changes name, pause/resume, cooldown, maxExecutions, expiresAt; records intent.updated', async ({
    assert,
    client,
  }) => {
    const token = await userToken(await UserFactory.create())
    const id = (await client.post('/api/v1/intents').bearerToken(token).json(intentBody())).body()
      .data.id
    const response = await client.patch(`/api/v1/intents/${id}`).bearerToken(token).json({
      name: 'Renamed',
      status: 'paused',
      cooldownSeconds: 600,
      maxExecutions: 3,
      expiresAt: '2030-01-01T00:00:00Z',
    })
    response.assertStatus(200)
    assert.containsSubset(response.body().data, {
      name: 'Renamed',
      status: 'paused',
      cooldownSeconds: 600,
      maxExecutions: 3,
      expiresAt: '2030-01-01T00:00:00.000Z',
    })
    const [, updated] = await db.from('event_store').where('aggregate_id', id).orderBy('version')
    assert.equal(updated.event_type, 'intent.updated')
    assert.deepEqual(updated.payload.changes.status, { from: 'active', to: 'paused' })
    assert.deepEqual(updated.payload.changes.name, { from: 'Repay if risky', to: 'Renamed' })
  })

  test('DELETE cancels (soft): readable as cancelled, cannot be resumed; intent.cancelled once', async ({
    assert,
    client,
  }) => {
    const token = await userToken(await UserFactory.create())
    const id = (await client.post('/api/v1/intents').bearerToken(token).json(intentBody())).body()
      .data.id
    const deleted = await client.delete(`/api/v1/intents/${id}`).bearerToken(token)
    deleted.assertStatus(200)
    assert.equal(deleted.body().data.status, 'cancelled')
    ;(await client.delete(`/api/v1/intents/${id}`).bearerToken(token)).assertStatus(200)
    const row = await db.from('intents').where('id', id).first()
    assert.isNotNull(row.deleted_at)
    assert.equal(
      (await client.get(`/api/v1/intents/${id}`).bearerToken(token)).body().data.status,
      'cancelled'
    )
    ;(
      await client.patch(`/api/v1/intents/${id}`).bearerToken(token).json({ status: 'active' })
    ).assertStatus(404)
    const events = await db.from('event_store').where('aggregate_id', id).orderBy('version')
    assert.deepEqual(
      events.map((e) => e.event_type),
      ['intent.created', 'intent.cancelled']
    )
  })

  test('the gate: with FEATURE_INTENTS off every route is 404 E_FEATURE_DISABLED and nothing is evaluated', async ({
    assert,
    client,
  }) => {
    const user = await UserFactory.create()
    const token = await userToken(user)
    const id = (await client.post('/api/v1/intents').bearerToken(token).json(intentBody())).body()
      .data.id
    features.intents = false
    try {
      for (const [method, path] of [
        ['get', '/api/v1/intents'],
        ['post', '/api/v1/intents'],
        ['get', `/api/v1/intents/${id}`],
        ['patch', `/api/v1/intents/${id}`],
        ['delete', `/api/v1/intents/${id}`],
        ['get', `/api/v1/intents/${id}/executions`],
      ] as const) {
        const response = await client.request(path, method).bearerToken(token).json(intentBody())
        response.assertStatus(404)
        assert.equal(response.body().errors[0].code, 'E_FEATURE_DISABLED', `${method} ${path}`)
      }
      await recordSnapshots({ kind: 'service' }, [snap(user, '1.1')])
      assert.lengthOf(await executionsOf(id), 0)
      assert.equal(
        (await db.from('intents').where('id', id).first()).status,
        'active',
        'left as it was'
      )
    } finally {
      features.intents = true
    }
    await recordSnapshots({ kind: 'service' }, [snap(user, '1.05')])
    assert.lengthOf(await executionsOf(id), 1, 'on again: evaluated')
  })
})

test.group('Intents | evaluation on snapshots', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  async function intent(user: User, overrides: Record<string, unknown> = {}) {
    const { rows } = await db.rawQuery(
      `insert into intents (user_id, name, protocol, chain_id, condition, action, cooldown, max_executions, expires_at)
       values (?, 'test', 'aave_v3', 1, ?::jsonb, ?::jsonb, ?, ?, ?) returning id`,
      [
        user.id,
        JSON.stringify(
          overrides.condition ?? { metric: 'health_factor', operator: 'lt', value: '1.2' }
        ),
        JSON.stringify(overrides.action ?? { type: 'repay', asset: 'USDT', amount: '1000' }),
        (overrides.cooldown as number) ?? 0,
        (overrides.maxExecutions ?? null) as number,
        (overrides.expiresAt ?? null) as string,
      ]
    )
    return rows[0].id as string
  }

  test('each operator at and around the boundary (exact decimals)', async ({ assert }) => {
    const expected: Record<string, Record<string, boolean>> = {
      lt: { '1.199999999999999999': true, '1.2': false, '1.200000000000000001': false },
      lte: { '1.199999999999999999': true, '1.2': true, '1.200000000000000001': false },
      gt: { '1.199999999999999999': false, '1.2': false, '1.200000000000000001': true },
      gte: { '1.199999999999999999': false, '1.2': true, '1.200000000000000001': true },
    }
    for (const [operator, byHf] of Object.entries(expected)) {
      for (const [hf, fires] of Object.entries(byHf)) {
        const user = await UserFactory.create()
        const id = await intent(user, {
          condition: { metric: 'health_factor', operator, value: '1.2' },
        })
        await recordSnapshots({ kind: 'service' }, [snap(user, hf)])
        assert.lengthOf(await executionsOf(id), fires ? 1 : 0, `${operator} 1.2 at HF ${hf}`)
      }
    }
    // No debt: an infinite health factor is above everything, below nothing.
    const lender = await UserFactory.create()
    const above = await intent(lender, {
      condition: { metric: 'health_factor', operator: 'gt', value: '3' },
    })
    const below = await intent(lender, {
      condition: { metric: 'health_factor', operator: 'lt', value: '3' },
    })
    await recordSnapshots({ kind: 'service' }, [snap(lender, null)])
    assert.lengthOf(await executionsOf(above), 1)
    assert.lengthOf(await executionsOf(below), 0)
  })

  test('maxExecutions cannot be lowered to the executions already made', async ({
    assert,
    client,
  }) => {
    const user = await UserFactory.create()
    const id = await intent(user, { maxExecutions: 5 })
    await recordSnapshots({ kind: 'service' }, [snap(user, '1.1')])
    await recordSnapshots({ kind: 'service' }, [snap(user, '1.05')])
    assert.lengthOf(await executionsOf(id), 2)
    const token = await userToken(user)
    const refused = await client
      .patch(`/api/v1/intents/${id}`)
      .bearerToken(token)
      .json({ maxExecutions: 2 })
    refused.assertStatus(422)
    assert.deepEqual(refused.body().errors, [
      {
        code: 'E_VALIDATION_ERROR',
        message: 'The maxExecutions field must be above the 2 executions so far',
        field: 'maxExecutions',
      },
    ])
    const still = await db.from('intents').where('id', id).firstOrFail()
    assert.equal(still.max_executions, 5)
    const raised = await client
      .patch(`/api/v1/intents/${id}`)
      .bearerToken(token)
      .json({ maxExecutions: 3 })
    raised.assertStatus(200)
  })

  test('an amount past uint256 stored earlier is a note, not a failed batch for everyone', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    const other = await UserFactory.create()
    const id = await intent(user, {
      action: { type: 'repay', asset: 'DAI', amount: `2${'0'.repeat(59)}` },
    })
    const stored = await recordSnapshots({ kind: 'service' }, [
      snap(user, '1.1'),
      snap(other, '1.1'),
    ])
    assert.deepEqual(
      stored.map((s) => s.created),
      [true, true]
    )
    const [execution] = await executionsOf(id)
    assert.isNull(execution.transaction)
    assert.equal(
      execution.note,
      `repay 2${'0'.repeat(59)} DAI: the amount is larger than a uint256 can hold`
    )
  })

  test('an execution holds the snapshot, the observed value and a decodable transaction; an alert says what to sign', async ({
    assert,
  }) => {
    const user = await UserFactory.apply('telegramLinked').create()
    const id = await intent(user)
    const [stored] = await recordSnapshots({ kind: 'service' }, [snap(user, '1.15')])
    const [execution] = await executionsOf(id)
    assert.equal(execution.snapshot_id, stored.id)
    assert.deepEqual(execution.condition, {
      metric: 'health_factor',
      operator: 'lt',
      value: '1.2',
      observed: '1.15',
    })
    assert.equal(execution.transaction.to, AAVE_V3[1].pool)
    const decoded = decodeFunctionData({ abi: AAVE_V3_POOL_ABI, data: execution.transaction.data })
    assert.deepEqual(decoded.args, [
      AAVE_V3[1].tokens.USDT.address,
      1_000_000_000n,
      2n,
      getAddress(user.walletAddress),
    ])

    const alerts = await db
      .from('alerts')
      .where('user_id', user.id)
      .where('type', 'intent_triggered')
      .orderBy('channel')
    assert.deepEqual(
      alerts.map((a) => [a.channel, a.status]),
      [
        ['in_app', 'sent'],
        ['telegram', 'pending'],
      ]
    )
    assert.include(
      alerts[0].message,
      'Your intent "test" fired: Aave v3 on Ethereum, health factor 1.150 < 1.2.'
    )
    assert.include(alerts[0].message, 'repay 1000 USDT')
    assert.equal(execution.alert_id, alerts[0].id)

    const row = await db.from('intents').where('id', id).first()
    assert.equal(row.executions_count, 1)
    assert.isNotNull(row.last_triggered_at)
    const events = await db.from('event_store').where('aggregate_id', id)
    assert.deepEqual(
      events.map((e) => e.event_type),
      ['intent.triggered']
    )
  })

  test('cooldown, then maxExecutions sets triggered', async ({ assert }) => {
    const user = await UserFactory.create()
    const cooling = await intent(user, { cooldown: 3600, maxExecutions: 2 })
    await recordSnapshots({ kind: 'service' }, [snap(user, '1.1')])
    await recordSnapshots({ kind: 'service' }, [snap(user, '1.05')])
    assert.lengthOf(await executionsOf(cooling), 1, 'cooling down')

    await db
      .from('intents')
      .where('id', cooling)
      .update({ last_triggered_at: new Date(Date.now() - 3601_000) })
    await recordSnapshots({ kind: 'service' }, [snap(user, '1.05')])
    assert.lengthOf(await executionsOf(cooling), 2, 'cooldown over')
    const row = await db.from('intents').where('id', cooling).first()
    assert.equal(row.status, 'triggered')
    assert.equal(row.executions_count, 2)

    await db
      .from('intents')
      .where('id', cooling)
      .update({ last_triggered_at: new Date(0) })
    await recordSnapshots({ kind: 'service' }, [snap(user, '1.0')])
    assert.lengthOf(await executionsOf(cooling), 2, 'never past maxExecutions')
  })

  test('paused, cancelled and expired intents do not fire; the expiry job marks expired', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    const paused = await intent(user)
    await db.from('intents').where('id', paused).update({ status: 'paused' })
    const cancelled = await intent(user)
    await db
      .from('intents')
      .where('id', cancelled)
      .update({ status: 'cancelled', deleted_at: new Date() })
    const expired = await intent(user, { expiresAt: new Date(Date.now() - 1000).toISOString() })
    await recordSnapshots({ kind: 'service' }, [snap(user, '1.0')])
    for (const id of [paused, cancelled, expired]) assert.lengthOf(await executionsOf(id), 0)

    assert.equal(await expireIntents(), 1)
    assert.equal((await db.from('intents').where('id', expired).first()).status, 'expired')
    assert.equal((await db.from('intents').where('id', paused).first()).status, 'paused')
  })

  test("a batch: set-based, only each position's newest snapshot, no cross-user leakage", async ({
    assert,
  }) => {
    const [alice, bob] = await UserFactory.createMany(2)
    const aliceIntent = await intent(alice)
    const bobIntent = await intent(bob, {
      condition: { metric: 'health_factor', operator: 'lt', value: '1.5' },
    })
    const aliceBase = await intent(alice, {
      condition: { metric: 'health_factor', operator: 'lt', value: '1.2' },
    })
    await db.from('intents').where('id', aliceBase).update({ chain_id: 8453 })

    const stored = await recordSnapshots({ kind: 'service' }, [
      snap(alice, '1.1'), // older: a newer one in the batch decides
      snap(alice, '1.3'),
      snap(bob, '1.4'),
      snap(alice, '1.0', { chainId: 8453 }),
    ])
    assert.lengthOf(
      await executionsOf(aliceIntent),
      0,
      'the newest Alice snapshot (1.3) does not hold'
    )
    const [bobExecution] = await executionsOf(bobIntent)
    assert.equal(bobExecution.snapshot_id, stored[2].id)
    assert.equal(bobExecution.user_id, bob.id)
    const [baseExecution] = await executionsOf(aliceBase)
    assert.equal(baseExecution.snapshot_id, stored[3].id)
    assert.isNull(baseExecution.transaction, 'USDT is not in the Base registry')
    assert.include(baseExecution.note, 'USDT is not in the Aave v3 registry for chain 8453')

    // A backfill (older than what is stored) prepares nothing.
    await recordSnapshots({ kind: 'service' }, [
      snap(bob, '1.0', { snapshotAt: DateTime.fromISO('2026-10-01T00:00:00Z') }),
    ])
    assert.lengthOf(await executionsOf(bobIntent), 1)
  })

  test("GET /intents/:id/executions lists newest first, only the owner's", async ({
    assert,
    client,
  }) => {
    const user = await UserFactory.create()
    const id = await intent(user)
    await recordSnapshots({ kind: 'service' }, [snap(user, '1.1')])
    await recordSnapshots({ kind: 'service' }, [snap(user, '1.0')])
    const response = await client
      .get(`/api/v1/intents/${id}/executions?limit=1`)
      .bearerToken(await userToken(user))
    response.assertStatus(200)
    const body = response.body()
    assert.lengthOf(body.data, 1)
    assert.equal(body.data[0].condition.observed, '1.0')
    assert.isString(body.meta.nextCursor)
    const next = await client
      .get(`/api/v1/intents/${id}/executions?limit=1&cursor=${body.meta.nextCursor}`)
      .bearerToken(await userToken(user))
    assert.equal(next.body().data[0].condition.observed, '1.1')
    assert.isNull(next.body().meta.nextCursor)
  })
})
