import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { UserFactory } from '#factories/user_factory'
import { userToken } from '#tests/helpers/auth'

const intentBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'Repay if risky',
  protocol: 'aave_v3',
  chainId: 1,
  condition: { metric: 'health_factor', operator: 'lt', value: '1.2' },
  action: { type: 'repay', asset: 'USDT', amount: '1000' },
  cooldownSeconds: 0,
  ...overrides,
})

async function newToken() {
  return userToken(await UserFactory.create())
}

test.group('Intents | protocol aliases (aave, compound)', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('created as aave and compound: stored, answered and recorded as aave_v3 and compound_v3', async ({
    client,
    assert,
  }) => {
    const token = await newToken()
    const aave = await client
      .post('/api/v1/intents')
      .bearerToken(token)
      .json(intentBody({ protocol: 'aave' }))
    aave.assertStatus(201)
    assert.equal(aave.body().data.protocol, 'aave_v3')
    const compound = await client
      .post('/api/v1/intents')
      .bearerToken(token)
      .json(
        intentBody({ protocol: 'compound', action: { type: 'repay', asset: 'USDC', amount: '5' } })
      )
    compound.assertStatus(201)
    assert.equal(compound.body().data.protocol, 'compound_v3')

    const rows = await db.from('intents').orderBy('protocol')
    assert.deepEqual(
      rows.map((r) => r.protocol),
      ['aave_v3', 'compound_v3']
    )
    const created = await db.from('event_store').where('event_type', 'intent.created')
    assert.sameMembers(
      created.map((e) => e.payload.protocol),
      ['aave_v3', 'compound_v3']
    )
  })

  test('GET /intents filters by either name', async ({ client, assert }) => {
    const token = await newToken()
    const aaveId = (
      await client.post('/api/v1/intents').bearerToken(token).json(intentBody())
    ).body().data.id
    const compoundId = (
      await client
        .post('/api/v1/intents')
        .bearerToken(token)
        .json(
          intentBody({
            protocol: 'compound_v3',
            action: { type: 'withdraw', asset: 'WETH', amount: 'max' },
          })
        )
    ).body().data.id
    for (const [protocol, id] of [
      ['aave', aaveId],
      ['aave_v3', aaveId],
      ['compound', compoundId],
      ['compound_v3', compoundId],
    ]) {
      const list = await client.get('/api/v1/intents').bearerToken(token).qs({ protocol })
      list.assertStatus(200)
      assert.deepEqual(
        list.body().data.map((i: { id: string; protocol: string }) => i.id),
        [id],
        `?protocol=${protocol}`
      )
    }
    const onChain = await client
      .get('/api/v1/intents')
      .bearerToken(token)
      .qs({ protocol: 'aave', chainId: 10 })
    assert.deepEqual(onChain.body().data, [])
  })

  test('PATCH moves an intent to compound: stored and answered as compound_v3, recorded as a change', async ({
    client,
    assert,
  }) => {
    const token = await newToken()
    const id = (await client.post('/api/v1/intents').bearerToken(token).json(intentBody())).body()
      .data.id
    const moved = await client
      .patch(`/api/v1/intents/${id}`)
      .bearerToken(token)
      .json({ protocol: 'compound', action: { type: 'repay', asset: 'usdc', amount: '250' } })
    moved.assertStatus(200)
    assert.containsSubset(moved.body().data, {
      protocol: 'compound_v3',
      chainId: 1,
      action: { type: 'repay', asset: 'USDC', amount: '250' },
    })
    const row = await db.from('intents').where('id', id).firstOrFail()
    assert.equal(row.protocol, 'compound_v3')
    const updated = await db
      .from('event_store')
      .where('aggregate_id', id)
      .where('event_type', 'intent.updated')
      .firstOrFail()
    assert.deepEqual(updated.payload.changes.protocol, { from: 'aave_v3', to: 'compound_v3' })
    assert.deepEqual(updated.payload.changes.action, {
      from: { type: 'repay', asset: 'USDT', amount: '1000' },
      to: { type: 'repay', asset: 'USDC', amount: '250' },
    })
  })
})

test.group('Intents | an action no transaction can be prepared for is refused', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('POST: {title}')
    .with([
      {
        title: 'a protocol without a market',
        body: { protocol: 'morpho_blue' },
        error: {
          field: 'protocol',
          message:
            'No transaction can be prepared for morpho_blue: the protocols with markets are aave_v3 and compound_v3; a notify action takes any protocol',
        },
      },
      {
        title: 'a chain Aave v3 has no market on here',
        body: { chainId: 56 },
        error: {
          field: 'chainId',
          message: 'Aave v3 has no market on chain 56 here: its chains are 1, 10, 137, 8453, 42161',
        },
      },
      {
        title: 'a chain Compound v3 has no market on here, named by its alias',
        body: {
          protocol: 'compound',
          chainId: 137,
          action: { type: 'repay', asset: 'USDC', amount: '5' },
        },
        error: {
          field: 'chainId',
          message: 'Compound v3 has no market on chain 137 here: its chains are 1',
        },
      },
      {
        title: 'an asset not in that market',
        body: { chainId: 8453 },
        error: {
          field: 'action.asset',
          message:
            'USDT is not an asset of the Aave v3 market on chain 8453: its assets are WETH, CBETH, USDBC, WSTETH, USDC, WEETH, CBBTC, EZETH, GHO, WRSETH, LBTC, EURC, AAVE, TBTC, SYRUPUSDC',
        },
      },
      {
        title: 'repaying Compound v3 debt in a collateral asset',
        body: {
          protocol: 'compound_v3',
          action: { type: 'repay', asset: 'WETH', amount: '1' },
        },
        error: {
          field: 'action.asset',
          message: 'Compound v3 debt on chain 1 is in USDC: only USDC can repay it',
        },
      },
    ])
    .run(async ({ client, assert }, { body, error }) => {
      const response = await client
        .post('/api/v1/intents')
        .bearerToken(await newToken())
        .json(intentBody(body))
      response.assertStatus(422)
      assert.deepEqual(response.body().errors, [{ code: 'E_VALIDATION_ERROR', ...error }])
      assert.lengthOf(await db.from('intents'), 0)
    })

  test('POST: accepted on every market, and for notify on any protocol, chain and asset', async ({
    client,
    assert,
  }) => {
    const token = await newToken()
    const accepted = [
      { protocol: 'aave', chainId: 10, action: { type: 'supply', asset: 'DAI', amount: '1' } },
      { chainId: 137, action: { type: 'withdraw', asset: 'WBTC', amount: 'max' } },
      { chainId: 42161, action: { type: 'repay', asset: 'usdc', amount: 'max' } },
      { chainId: 8453, action: { type: 'repay', asset: 'USDC', amount: '1' } },
      { protocol: 'compound', action: { type: 'supply', asset: 'WETH', amount: '1' } },
      { protocol: 'morpho_blue', chainId: 56, action: { type: 'notify', asset: 'X', amount: '1' } },
    ]
    for (const body of accepted) {
      const response = await client
        .post('/api/v1/intents')
        .bearerToken(token)
        .json(intentBody(body))
      assert.equal(response.status(), 201, `${JSON.stringify(body)}: ${response.text()}`)
    }
    assert.lengthOf(await db.from('intents'), accepted.length)
  })

  test('PATCH: the intent as it would be is checked; a refused change changes nothing', async ({
    client,
    assert,
  }) => {
    const token = await newToken()
    const id = (await client.post('/api/v1/intents').bearerToken(token).json(intentBody())).body()
      .data.id
    const refusals: [Record<string, unknown>, string][] = [
      // USDT is not in the Base market: the chain alone makes the action unpreparable
      [{ chainId: 8453 }, 'action.asset'],
      [{ chainId: 56 }, 'chainId'],
      [{ protocol: 'morpho_blue' }, 'protocol'],
      [{ protocol: 'compound' }, 'action.asset'],
      [{ action: { type: 'repay', asset: 'PEPE', amount: '1' } }, 'action.asset'],
      [{ action: { type: 'repay', asset: 'USDT', amount: '1.1234567' } }, 'action.amount'],
      [{ action: { type: 'supply', asset: 'USDT', amount: 'max' } }, 'action.amount'],
    ]
    for (const [patch, field] of refusals) {
      const response = await client
        .patch(`/api/v1/intents/${id}`)
        .bearerToken(token)
        .json({ name: 'not applied', ...patch })
      response.assertStatus(422)
      assert.equal(response.body().errors[0].field, field, JSON.stringify(patch))
    }
    const row = await db.from('intents').where('id', id).firstOrFail()
    assert.containsSubset(row, { name: 'Repay if risky', protocol: 'aave_v3', chain_id: 1 })
    assert.deepEqual(row.action, { type: 'repay', asset: 'USDT', amount: '1000' })
    assert.lengthOf(
      await db.from('event_store').where('aggregate_id', id).where('event_type', 'intent.updated'),
      0
    )

    const moved = await client
      .patch(`/api/v1/intents/${id}`)
      .bearerToken(token)
      .json({ chainId: 8453, action: { type: 'repay', asset: 'USDC', amount: '1000' } })
    moved.assertStatus(200)
    assert.containsSubset(moved.body().data, {
      chainId: 8453,
      action: { type: 'repay', asset: 'USDC', amount: '1000' },
    })
    const notify = await client
      .patch(`/api/v1/intents/${id}`)
      .bearerToken(token)
      .json({ protocol: 'morpho_blue', action: { type: 'notify', asset: 'ANY', amount: '1' } })
    notify.assertStatus(200)
    assert.equal(notify.body().data.protocol, 'morpho_blue')
  })

  test('PATCH of anything else leaves an intent stored before the rule alone; fixing its market is checked', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const token = await userToken(user)
    // Accepted before markets were checked: repay on a chain Aave v3 has no market on here.
    const { rows } = await db.rawQuery(
      `insert into intents (user_id, name, protocol, chain_id, condition, action)
       values (?, 'old', 'aave_v3', 56, ?::jsonb, ?::jsonb) returning id`,
      [
        user.id,
        JSON.stringify({ metric: 'health_factor', operator: 'lt', value: '1.2' }),
        JSON.stringify({ type: 'repay', asset: 'USDT', amount: '1000' }),
      ]
    )
    const id = rows[0].id as string
    for (const patch of [
      { name: 'renamed', cooldownSeconds: 60 },
      { status: 'paused' },
      { status: 'active' },
      { maxExecutions: 3, expiresAt: '2030-01-01T00:00:00Z' },
    ]) {
      const response = await client.patch(`/api/v1/intents/${id}`).bearerToken(token).json(patch)
      assert.equal(response.status(), 200, `${JSON.stringify(patch)}: ${response.text()}`)
    }
    const stillUnpreparable = await client
      .patch(`/api/v1/intents/${id}`)
      .bearerToken(token)
      .json({ action: { type: 'repay', asset: 'USDC', amount: '10' } })
    stillUnpreparable.assertStatus(422)
    assert.equal(stillUnpreparable.body().errors[0].field, 'chainId')

    const fixed = await client
      .patch(`/api/v1/intents/${id}`)
      .bearerToken(token)
      .json({ chainId: 1 })
    fixed.assertStatus(200)
    assert.containsSubset(fixed.body().data, {
      name: 'renamed',
      status: 'active',
      chainId: 1,
      action: { type: 'repay', asset: 'USDT', amount: '1000' },
    })
  })
})
