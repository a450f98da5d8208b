import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { UserFactory } from '#factories/user_factory'
import { serviceToken, userToken } from '#tests/helpers/auth'
import { hourly, snapshotBody } from '#tests/helpers/snapshots'
import { positionStreamId } from '#services/positions/record_snapshots'
import { truncateAll } from '#tests/helpers/database'
import { integrated } from '#tests/helpers/events'

const WALLET_A = '0x' + 'a1'.repeat(20)
const WALLET_B = '0x' + 'b2'.repeat(20)

async function count(table: string) {
  const { rows } = await db.rawQuery(`select count(*)::int as n from ${table}`)
  return rows[0].n as number
}

test.group('Positions | POST /positions (one snapshot)', (group) => {
  // committed rows: events are sealed by the integrator after commit (docs/adr/0012)
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test('a user records their own snapshot; the health factor is computed exactly', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const response = await client
      .post('/api/v1/positions')
      .bearerToken(await userToken(user))
      .json(snapshotBody())
    response.assertStatus(201)
    const body = response.body()
    assert.equal(body.data.healthFactor, '2.0625')
    assert.equal(body.data.walletAddress, user.walletAddress)
    assert.deepEqual(body.data.totals, { collateralUsd: '20000', debtUsd: '8000' })
    assert.equal(body.data.snapshotAt, '2026-11-01T12:00:00.000Z')
    assert.deepEqual(body.meta, { alreadyRecorded: false })

    await integrated()
    const event = await db
      .from('event_store')
      .where('event_type', 'position.snapshot_recorded')
      .firstOrFail()
    assert.equal(event.aggregate_type, 'position')
    assert.equal(event.aggregate_id, positionStreamId(user.id, 'aave_v3', 1))
    assert.equal(event.payload.snapshotId, body.data.id)
    assert.equal(event.payload.healthFactor, '2.0625')
    assert.deepEqual(event.metadata.actor, { type: 'user', id: user.id })
  })

  test("the indexer's health factor is stored as given; ours is kept beside it when they differ by > 0.1%", async ({
    client,
    assert,
  }) => {
    const token = await userToken(await UserFactory.create())
    const close = await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(snapshotBody({ healthFactor: '2.063', snapshotAt: '2026-11-01T10:00:00Z' }))
    assert.equal(close.body().data.healthFactor, '2.063')
    assert.notProperty(close.body().data.metadata, 'computedHealthFactor')

    const far = await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(snapshotBody({ healthFactor: '1.9', snapshotAt: '2026-11-01T11:00:00Z' }))
    assert.equal(far.body().data.healthFactor, '1.9')
    assert.equal(far.body().data.metadata.computedHealthFactor, '2.0625')
  })

  test('no debt: health factor null', async ({ client, assert }) => {
    const token = await userToken(await UserFactory.create())
    const response = await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(snapshotBody({ debt: [] }))
    response.assertStatus(201)
    assert.isNull(response.body().data.healthFactor)
  })

  test('a retried snapshot is not stored twice and is answered as already recorded', async ({
    client,
    assert,
  }) => {
    const token = await userToken(await UserFactory.create())
    const first = await client.post('/api/v1/positions').bearerToken(token).json(snapshotBody())
    const retry = await client.post('/api/v1/positions').bearerToken(token).json(snapshotBody())
    first.assertStatus(201)
    retry.assertStatus(200)
    assert.equal(retry.body().data.id, first.body().data.id)
    assert.deepEqual(retry.body().meta, { alreadyRecorded: true })
    assert.equal(await count('positions'), 1)
    await integrated()
    assert.equal(await count(`event_store where event_type = 'position.snapshot_recorded'`), 1)
  })

  test('a user cannot record a snapshot for another wallet', async ({ client, assert }) => {
    const token = await userToken(await UserFactory.create())
    const response = await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(snapshotBody({ walletAddress: WALLET_B }))
    response.assertStatus(403)
    assert.equal(response.body().errors[0].code, 'E_FORBIDDEN_WALLET')
    assert.equal(await count('positions'), 0)
  })

  test('a service records for any wallet, creating the user when new', async ({
    client,
    assert,
  }) => {
    const token = await serviceToken(['positions:write'])
    const response = await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(snapshotBody({ walletAddress: WALLET_A.toUpperCase().replace('0X', '0x') }))
    response.assertStatus(201)
    const user = await db.from('users').where('wallet_address', WALLET_A).firstOrFail()
    assert.equal(response.body().data.walletAddress, WALLET_A)
    await integrated()
    const registered = await db
      .from('event_store')
      .where({ aggregate_id: user.id, event_type: 'user.registered' })
      .firstOrFail()
    assert.equal(registered.payload.via, 'ingest')
    assert.equal(registered.metadata.actor.type, 'service')
  })

  test('a service must name the wallet', async ({ client, assert }) => {
    const response = await client
      .post('/api/v1/positions')
      .bearerToken(await serviceToken(['positions:write']))
      .json(snapshotBody())
    response.assertStatus(422)
    assert.equal(response.body().errors[0].field, 'walletAddress')
  })

  test('a snapshot from the future is refused', async ({ client, assert }) => {
    const token = await userToken(await UserFactory.create())
    const response = await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(snapshotBody({ snapshotAt: new Date(Date.now() + 3600_000).toISOString() }))
    response.assertStatus(422)
    assert.deepEqual(response.body().errors[0], {
      code: 'E_SNAPSHOT_IN_FUTURE',
      message: 'A snapshot cannot be taken in the future',
      field: 'snapshotAt',
    })
  })
})

test.group('Positions | POST /positions/batch', (group) => {
  // committed rows: events are sealed by the integrator after commit (docs/adr/0012)
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test('stores many snapshots for many wallets in one go', async ({ client, assert }) => {
    const token = await serviceToken(['positions:write'])
    const snapshots = [
      ...hourly('2026-11-01T00:00:00Z', 3, { walletAddress: WALLET_A }),
      ...hourly('2026-11-01T00:00:00Z', 2, { walletAddress: WALLET_B, protocol: 'compound_v3' }),
    ]
    const response = await client
      .post('/api/v1/positions/batch')
      .bearerToken(token)
      .json({ snapshots })
    response.assertStatus(201)
    assert.deepEqual(response.body().meta, { created: 5, alreadyRecorded: 0 })
    assert.lengthOf(response.body().data, 5)
    assert.equal(await count('positions'), 5)
    assert.equal(await count('users'), 2)
    await integrated()
    assert.equal(await count(`event_store where event_type = 'position.snapshot_recorded'`), 5)
    // per position stream, versions 1..n in snapshot order
    const versions = await db
      .from('event_store')
      .where('aggregate_type', 'position')
      .orderBy('position')
      .select('version')
    assert.deepEqual(
      versions.map((v) => v.version),
      [1, 2, 3, 1, 2]
    )
  })

  test('one bad item rejects the whole batch, naming its path; nothing is written', async ({
    client,
    assert,
  }) => {
    const token = await serviceToken(['positions:write'])
    const snapshots = hourly('2026-11-01T00:00:00Z', 5, { walletAddress: WALLET_A })
    ;(snapshots[3].collateral as any)[0].amount = '1e18'
    const response = await client
      .post('/api/v1/positions/batch')
      .bearerToken(token)
      .json({ snapshots })
    response.assertStatus(422)
    assert.deepEqual(
      response.body().errors.map((e: any) => e.field),
      ['snapshots.3.collateral.0.amount']
    )
    assert.equal(await count('positions'), 0)
    assert.equal(await count('users'), 0)
    assert.equal(await count('event_store'), 0)
  })

  test('every bad item of a batch is reported, not only the first', async ({ client, assert }) => {
    const token = await serviceToken(['positions:write'])
    const snapshots: Record<string, unknown>[] = hourly('2026-11-01T00:00:00Z', 8, {
      walletAddress: WALLET_A,
    })
    delete snapshots[3].walletAddress
    delete snapshots[7].walletAddress
    snapshots[5].snapshotAt = new Date(Date.now() + 86_400_000).toISOString()
    snapshots[6].snapshotAt = new Date(Date.now() + 86_400_000).toISOString()
    // What the schema says (walletAddress is required in a batch) is checked first, for every item…
    const response = await client
      .post('/api/v1/positions/batch')
      .bearerToken(token)
      .json({ snapshots })
    response.assertStatus(422)
    assert.deepEqual(
      response.body().errors.map((e: any) => [e.code, e.field]),
      [
        ['E_VALIDATION_ERROR', 'snapshots.3.walletAddress'],
        ['E_VALIDATION_ERROR', 'snapshots.7.walletAddress'],
      ]
    )
    // …then what only the service can check, again for every item.
    snapshots[3].walletAddress = WALLET_A
    snapshots[7].walletAddress = WALLET_A
    const again = await client
      .post('/api/v1/positions/batch')
      .bearerToken(token)
      .json({ snapshots })
    again.assertStatus(422)
    assert.deepEqual(
      again.body().errors.map((e: any) => [e.code, e.field]),
      [
        ['E_SNAPSHOT_IN_FUTURE', 'snapshots.5.snapshotAt'],
        ['E_SNAPSHOT_IN_FUTURE', 'snapshots.6.snapshotAt'],
      ]
    )
    assert.equal(await count('positions'), 0)
  })

  test('a failure inside the transaction leaves nothing behind either', async ({
    client,
    assert,
  }) => {
    const token = await serviceToken(['positions:write'])
    const snapshots = hourly('2026-11-01T00:00:00Z', 4, { walletAddress: WALLET_A })
    snapshots[2].snapshotAt = new Date(Date.now() + 86_400_000).toISOString()
    const response = await client
      .post('/api/v1/positions/batch')
      .bearerToken(token)
      .json({ snapshots })
    response.assertStatus(422)
    assert.equal(response.body().errors[0].field, 'snapshots.2.snapshotAt')
    assert.equal(await count('positions'), 0)
    assert.equal(await count('event_store'), 0)
  })

  test('retrying a batch (and duplicates inside one) stores each snapshot once', async ({
    client,
    assert,
  }) => {
    const token = await serviceToken(['positions:write'])
    const snapshots = hourly('2026-11-01T00:00:00Z', 3, { walletAddress: WALLET_A })
    const first = await client
      .post('/api/v1/positions/batch')
      .bearerToken(token)
      .json({ snapshots })
    assert.deepEqual(first.body().meta, { created: 3, alreadyRecorded: 0 })
    const again = await client
      .post('/api/v1/positions/batch')
      .bearerToken(token)
      .json({
        snapshots: [
          ...snapshots,
          snapshots[0],
          ...hourly('2026-11-02T00:00:00Z', 1, { walletAddress: WALLET_A }),
        ],
      })
    assert.deepEqual(again.body().meta, { created: 1, alreadyRecorded: 4 })
    assert.deepEqual(
      again
        .body()
        .data.slice(0, 3)
        .map((d: any) => d.id),
      first.body().data.map((d: any) => d.id)
    )
    assert.equal(await count('positions'), 4)
  })

  test('1,000 realistic snapshots fit the body limit; 1,001 are refused', async ({
    client,
    assert,
  }) => {
    const token = await serviceToken(['positions:write'])
    const rich = {
      walletAddress: WALLET_A,
      collateral: [
        {
          symbol: 'WETH',
          amount: '12.345678901234567891',
          valueUsd: '30864.19',
          priceUsd: '2500.00',
          liquidationThreshold: '0.825',
          address: '0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2',
        },
        {
          symbol: 'WBTC',
          amount: '0.5',
          valueUsd: '30000',
          priceUsd: '60000',
          liquidationThreshold: '0.78',
          address: '0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599',
        },
        {
          symbol: 'USDC',
          amount: '5000',
          valueUsd: '5000',
          priceUsd: '1',
          liquidationThreshold: '0.78',
          address: '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48',
        },
      ],
      debt: [
        {
          symbol: 'USDT',
          amount: '20000',
          valueUsd: '20000',
          priceUsd: '1',
          address: '0xdAC17F958D2ee523a2206206994597C13D831ec7',
        },
        {
          symbol: 'DAI',
          amount: '5000',
          valueUsd: '5000',
          priceUsd: '1',
          address: '0x6B175474E89094C44Da98b954EedeAC495271d0F',
        },
      ],
      metadata: { source: 'indexer', block: 21000000 },
    }
    const snapshots = hourly('2025-01-01T00:00:00Z', 1000, rich)
    const response = await client
      .post('/api/v1/positions/batch')
      .bearerToken(token)
      .json({ snapshots })
    response.assertStatus(201)
    assert.equal(response.body().meta.created, 1000)
    assert.equal(await count('positions'), 1000)

    const tooMany = await client
      .post('/api/v1/positions/batch')
      .bearerToken(token)
      .json({ snapshots: hourly('2024-01-01T00:00:00Z', 1001, rich) })
    tooMany.assertStatus(422)
    assert.equal(tooMany.body().errors[0].field, 'snapshots')
  })
})

test.group('Positions | concurrent ingest of one position (committed rows)', (group) => {
  group.each.teardown(() => truncateAll())

  test('parallel batches for the same position all land, with gapless stream versions', async ({
    client,
    assert,
  }) => {
    const token = await serviceToken(['positions:write'])
    const responses = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        client
          .post('/api/v1/positions/batch')
          .bearerToken(token)
          .json({
            snapshots: hourly(`2026-10-0${i + 1}T00:00:00Z`, 5, { walletAddress: WALLET_A }),
          })
      )
    )
    assert.deepEqual(
      responses.map((r) => r.status()),
      [201, 201, 201, 201]
    )
    assert.equal(await count('positions'), 20)
    await integrated()
    const versions = await db
      .from('event_store')
      .where('event_type', 'position.snapshot_recorded')
      .orderBy('version')
      .select('version')
    assert.deepEqual(
      versions.map((v) => v.version),
      Array.from({ length: 20 }, (_, i) => i + 1)
    )
    assert.equal(await count(`users where wallet_address = '${WALLET_A}'`), 1)
  })

  test('batches racing to create the same new owner, beside owners that exist: each lands once', async ({
    client,
    assert,
  }) => {
    const token = await serviceToken(['positions:write'])
    const [known1, known2] = await UserFactory.createMany(2)
    const fresh = '0x' + 'c3'.repeat(20)
    // every batch holds an existing owner and the new one, in both orders
    const batches = Array.from({ length: 6 }, (_, i) => {
      const known = i % 2 ? known1 : known2
      const at = `2026-09-${String(i + 1).padStart(2, '0')}T00:00:00Z`
      const pair = [
        ...hourly(at, 2, { walletAddress: known.walletAddress }),
        ...hourly(at, 2, { walletAddress: fresh }),
      ]
      return i % 3 ? pair : pair.reverse()
    })
    const responses = await Promise.all(
      batches.map((snapshots) =>
        client.post('/api/v1/positions/batch').bearerToken(token).json({ snapshots })
      )
    )
    assert.deepEqual(
      responses.map((r) => r.status()),
      Array(6).fill(201)
    )
    assert.equal(await count(`users where wallet_address = '${fresh}'`), 1)
    assert.equal(await count('positions'), 24)
    await integrated()
    assert.equal(await count(`event_store where event_type = 'user.registered'`), 1)
  })
})
