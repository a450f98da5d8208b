import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { UserFactory } from '#factories/user_factory'
import { serviceToken, userToken } from '#tests/helpers/auth'
import { snapshotBody } from '#tests/helpers/snapshots'

/** ETH 10.5 @ 3150.25 (LT 0.83) + WBTC 0.25 @ 97000.5 (LT 0.78) against 20,000 USDC. */
function ethAndWbtc(protocol: string) {
  return snapshotBody({
    protocol,
    collateral: [
      {
        symbol: 'ETH',
        amount: '10.5',
        valueUsd: '33077.625',
        priceUsd: '3150.25',
        liquidationThreshold: '0.83',
      },
      {
        symbol: 'WBTC',
        amount: '0.25',
        valueUsd: '24250.125',
        priceUsd: '97000.5',
        liquidationThreshold: '0.78',
      },
    ],
    debt: [{ symbol: 'USDC', amount: '20000', valueUsd: '20000', priceUsd: '1' }],
  })
}

/** The schema document's position: thresholds on the position, none on the assets. */
function documented(overrides: Record<string, unknown> = {}) {
  return snapshotBody({
    collateral: [{ symbol: 'ETH', amount: '1.5', valueUsd: '3000', priceUsd: '2000' }],
    debt: [{ symbol: 'USDC', amount: '1500', valueUsd: '1500', priceUsd: '1' }],
    metadata: { ltv: '0.5', liquidationThreshold: '0.825' },
    ...overrides,
  })
}

test.group('Positions | health factor | as each protocol computes it', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test("Aave v3 cuts the average threshold to whole basis points; Compound v3 doesn't", async ({
    client,
    assert,
  }) => {
    const token = await userToken(await UserFactory.create())
    const aave = await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(ethAndWbtc('aave_v3'))
    aave.assertStatus(201)
    // 57327.75 × 0.8088 / 20000, as the Pool and @aave/math-utils say (the plain sum gave 2.3184763125)
    assert.equal(aave.body().data.healthFactor, '2.31833421')
    const compound = await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(ethAndWbtc('compound_v3'))
    compound.assertStatus(201)
    assert.equal(compound.body().data.healthFactor, '2.3184763125')
    const stored = await db.from('positions').where('id', aave.body().data.id).firstOrFail()
    assert.equal(stored.health_factor, '2.31833421')
  })

  test("the position's metadata.liquidationThreshold applies when the assets carry none", async ({
    client,
    assert,
  }) => {
    const token = await userToken(await UserFactory.create())
    const response = await client.post('/api/v1/positions').bearerToken(token).json(documented())
    response.assertStatus(201)
    // 3000 × 0.825 / 1500 (it was 0: the collateral counted for nothing)
    assert.equal(response.body().data.healthFactor, '1.65')
    assert.deepEqual(response.body().data.metadata, { ltv: '0.5', liquidationThreshold: '0.825' })

    // the indexer's figure is still the one stored; ours, from the metadata, beside it
    const given = await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(documented({ healthFactor: '2.5', snapshotAt: '2026-11-01T13:00:00Z' }))
    assert.equal(given.body().data.healthFactor, '2.5')
    assert.equal(given.body().data.metadata.computedHealthFactor, '1.65')
  })

  test('a metadata threshold that is not a ratio is a 422 naming the field', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const one = await client
      .post('/api/v1/positions')
      .bearerToken(await userToken(user))
      .json(documented({ metadata: { liquidationThreshold: '82.5%' } }))
    one.assertStatus(422)
    assert.deepEqual(one.body(), {
      errors: [
        {
          code: 'E_VALIDATION_ERROR',
          message:
            'The metadata.liquidationThreshold field must be a ratio between 0 and 1, such as "0.825"',
          field: 'metadata.liquidationThreshold',
        },
      ],
    })

    const batch = await client
      .post('/api/v1/positions/batch')
      .bearerToken(await serviceToken(['positions:write']))
      .json({
        snapshots: [
          documented({ walletAddress: user.walletAddress }),
          documented({
            walletAddress: user.walletAddress,
            snapshotAt: '2026-11-01T13:00:00Z',
            metadata: { ltv: 2 },
          }),
        ],
      })
    batch.assertStatus(422)
    assert.deepEqual(
      batch.body().errors.map((e: { field: string }) => e.field),
      ['snapshots.1.metadata.ltv']
    )
    // nothing stored: neither the single snapshot nor the batch (all or nothing)
    const { rows } = await db.rawQuery('select count(*)::int as n from positions')
    assert.equal(rows[0].n, 0)
  })

  test('collateral and debt with no threshold and no health factor: a 422, not a made-up HF 0', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const token = await userToken(user)
    const response = await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(documented({ metadata: { ltv: '0.5' } }))
    response.assertStatus(422)
    assert.deepEqual(
      response.body().errors.map((e: { code: string; field: string }) => [e.code, e.field]),
      [['E_VALIDATION_ERROR', 'healthFactor']]
    )
    assert.match(response.body().errors[0].message, /metadata\.liquidationThreshold/)

    const batch = await client
      .post('/api/v1/positions/batch')
      .bearerToken(await serviceToken(['positions:write']))
      .json({
        snapshots: [
          documented({ walletAddress: user.walletAddress }),
          documented({
            walletAddress: user.walletAddress,
            snapshotAt: '2026-11-01T13:00:00Z',
            metadata: {},
          }),
        ],
      })
    batch.assertStatus(422)
    assert.deepEqual(
      batch.body().errors.map((e: { field: string }) => e.field),
      ['snapshots.1.healthFactor']
    )
    const { rows } = await db.rawQuery('select count(*)::int as n from positions')
    assert.equal(rows[0].n, 0)
    const alerts = await db.rawQuery('select count(*)::int as n from alerts')
    assert.equal(alerts.rows[0].n, 0)

    // what makes it computable is accepted: an explicit health factor, or no collateral (HF 0 is then true)
    const given = await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(documented({ metadata: {}, healthFactor: '1.65' }))
    given.assertStatus(201)
    const empty = await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(documented({ metadata: {}, collateral: [], snapshotAt: '2026-11-01T14:00:00Z' }))
    empty.assertStatus(201)
    assert.equal(empty.body().data.healthFactor, '0')
  })
})

test.group('Positions | POST /positions/simulate | thresholds', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  async function simulate(client: any, token: string, priceChanges: Record<string, string>) {
    return client
      .post('/api/v1/positions/simulate')
      .bearerToken(token)
      .json({ protocol: 'aave_v3', chainId: 1, priceChanges })
  }

  test('current is the stored health factor; the metadata threshold drives the simulation', async ({
    client,
    assert,
  }) => {
    const token = await userToken(await UserFactory.create())
    await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(documented({ healthFactor: '2.5' }))
    const response = await simulate(client, token, { ETH: '-0.2' })
    response.assertStatus(200)
    const data = response.body().data
    assert.equal(data.currentHealthFactor, '2.5')
    // 2400 × 0.825 / 1500
    assert.equal(data.simulatedHealthFactor, '1.32')
    assert.isFalse(data.liquidatable)
    assert.equal(data.liquidationPrices[0].liquidationPriceUsd, '1212.121212121212121212')
  })

  test('per-asset thresholds come first', async ({ client, assert }) => {
    const token = await userToken(await UserFactory.create())
    await client.post('/api/v1/positions').bearerToken(token).json(ethAndWbtc('aave_v3'))
    const response = await simulate(client, token, { ETH: '-0.5' })
    response.assertStatus(200)
    const data = response.body().data
    assert.equal(data.currentHealthFactor, '2.31833421')
    // ETH 16538.8125 × 0.83 + WBTC 24250.125 × 0.78 = 32642.31 over 40788.9375:
    // 8002 bps (cut), 40788.9375 × 0.8002 / 20000
    assert.equal(data.simulatedHealthFactor, '1.631965389375')
    assert.equal(data.collateralUsd, '40788.9375')
  })

  test('else the threshold the stored health factor implies', async ({ client, assert }) => {
    const token = await userToken(await UserFactory.create())
    await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(documented({ healthFactor: '2.5', metadata: {} }))
    const response = await simulate(client, token, { ETH: '-0.5' })
    response.assertStatus(200)
    const data = response.body().data
    assert.equal(data.currentHealthFactor, '2.5')
    // implied 2.5 × 1500 / 3000 = 1.25; at ETH −50 %: 1500 × 1.25 / 1500
    assert.equal(data.simulatedHealthFactor, '1.25')
    assert.isFalse(data.liquidatable)
    // 1500 / (1.5 × 1.25)
    assert.equal(data.liquidationPrices[0].liquidationPriceUsd, '800')
  })

  test('with none of them, a 422 that says why, not "HF 0, liquidatable"', async ({
    client,
    assert,
  }) => {
    const token = await userToken(await UserFactory.create())
    await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(documented({ healthFactor: null, metadata: {} }))
    const response = await simulate(client, token, { ETH: '-0.2' })
    response.assertStatus(422)
    assert.lengthOf(response.body().errors, 1)
    const [error] = response.body().errors
    assert.equal(error.code, 'E_UNKNOWN_THRESHOLDS')
    assert.match(error.message, /no liquidation thresholds/)
    assert.match(error.message, /metadata\.liquidationThreshold/)
    assert.match(error.message, /no health factor/)
  })
})
