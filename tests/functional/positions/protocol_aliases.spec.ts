import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { UserFactory } from '#factories/user_factory'
import { serviceToken, userToken } from '#tests/helpers/auth'
import { snapshotBody } from '#tests/helpers/snapshots'
import { truncateAll } from '#tests/helpers/database'
import { integrated } from '#tests/helpers/events'

/**
 * shared/SEED-SCHEMA.md says `aave` and `compound`; the API stores and answers
 * `aave_v3` and `compound_v3`. Either name in, the canonical one out and in the rows.
 */
test.group('Positions | protocol aliases (aave, compound) | the recorded event', (group) => {
  // committed rows: events are sealed by the integrator after commit (docs/adr/0012)
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test('POST /positions as aave stores and answers aave_v3; the same snapshot as aave_v3 is already recorded', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const token = await userToken(user)
    const first = await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(snapshotBody({ protocol: 'aave' }))
    first.assertStatus(201)
    assert.equal(first.body().data.protocol, 'aave_v3')

    const again = await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(snapshotBody({ protocol: 'aave_v3' }))
    again.assertStatus(200)
    assert.deepEqual(again.body().meta, { alreadyRecorded: true })
    assert.equal(again.body().data.id, first.body().data.id)

    const rows = await db.from('positions').where('user_id', user.id)
    assert.deepEqual(
      rows.map((r) => r.protocol),
      ['aave_v3']
    )
    await integrated()
    const event = await db
      .from('event_store')
      .where('event_type', 'position.snapshot_recorded')
      .firstOrFail()
    assert.equal(event.payload.protocol, 'aave_v3')
  })
})

test.group('Positions | protocol aliases (aave, compound)', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('POST /positions/batch with aave and compound answers and stores the canonical names', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const response = await client
      .post('/api/v1/positions/batch')
      .bearerToken(await serviceToken(['positions:write']))
      .json({
        snapshots: [
          snapshotBody({ walletAddress: user.walletAddress, protocol: 'aave' }),
          snapshotBody({ walletAddress: user.walletAddress, protocol: 'compound' }),
        ],
      })
    response.assertStatus(201)
    assert.deepEqual(
      response.body().data.map((r: { protocol: string }) => r.protocol),
      ['aave_v3', 'compound_v3']
    )
    const rows = await db.from('positions').where('user_id', user.id).orderBy('protocol')
    assert.deepEqual(
      rows.map((r) => r.protocol),
      ['aave_v3', 'compound_v3']
    )
  })

  test('GET /positions and /positions/history filter by either name', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const token = await userToken(user)
    for (const [protocol, snapshotAt] of [
      ['aave', '2026-11-01T10:00:00Z'],
      ['aave_v3', '2026-11-01T11:00:00Z'],
      ['compound', '2026-11-01T10:00:00Z'],
    ]) {
      ;(
        await client
          .post('/api/v1/positions')
          .bearerToken(token)
          .json(snapshotBody({ protocol, snapshotAt }))
      ).assertStatus(201)
    }

    const all = await client.get('/api/v1/positions').bearerToken(token)
    assert.sameDeepMembers(
      all.body().data.map((p: any) => [p.protocol, p.snapshotAt]),
      [
        ['aave_v3', '2026-11-01T11:00:00.000Z'],
        ['compound_v3', '2026-11-01T10:00:00.000Z'],
      ]
    )
    for (const [protocol, expected] of [
      ['aave', 'aave_v3'],
      ['aave_v3', 'aave_v3'],
      ['compound', 'compound_v3'],
      ['compound_v3', 'compound_v3'],
    ]) {
      const latest = await client.get('/api/v1/positions').bearerToken(token).qs({ protocol })
      latest.assertStatus(200)
      assert.deepEqual(
        latest.body().data.map((p: any) => p.protocol),
        [expected],
        `GET /positions?protocol=${protocol}`
      )
    }
    const onOtherChain = await client
      .get('/api/v1/positions')
      .bearerToken(token)
      .qs({ protocol: 'aave', chainId: 10 })
    assert.deepEqual(onOtherChain.body().data, [])

    for (const protocol of ['aave', 'aave_v3']) {
      const history = await client
        .get('/api/v1/positions/history')
        .bearerToken(token)
        .qs({ protocol })
      history.assertStatus(200)
      assert.deepEqual(
        history.body().data.map((p: any) => [p.protocol, p.snapshotAt]),
        [
          ['aave_v3', '2026-11-01T11:00:00.000Z'],
          ['aave_v3', '2026-11-01T10:00:00.000Z'],
        ],
        `history?protocol=${protocol}`
      )
    }
    const compound = await client
      .get('/api/v1/positions/history')
      .bearerToken(token)
      .qs({ protocol: 'compound' })
    assert.deepEqual(
      compound.body().data.map((p: any) => p.protocol),
      ['compound_v3']
    )
  })

  test('a malformed protocol is still a 422 on the field, alias or not', async ({
    client,
    assert,
  }) => {
    const token = await userToken(await UserFactory.create())
    for (const protocol of ['Aave', 'aave v3', '']) {
      const response = await client
        .post('/api/v1/positions')
        .bearerToken(token)
        .json(snapshotBody({ protocol }))
      response.assertStatus(422)
      assert.equal(response.body().errors[0].field, 'protocol', protocol)
    }
    const query = await client.get('/api/v1/positions').bearerToken(token).qs({ protocol: 'AAVE' })
    query.assertStatus(422)
    assert.equal(query.body().errors[0].field, 'protocol')
  })

  test('POST /positions/simulate takes aave for the aave_v3 position', async ({
    client,
    assert,
  }) => {
    const token = await userToken(await UserFactory.create())
    const stored = await client.post('/api/v1/positions').bearerToken(token).json(snapshotBody())
    const response = await client
      .post('/api/v1/positions/simulate')
      .bearerToken(token)
      .json({ protocol: 'aave', chainId: 1, priceChanges: { WETH: '-0.2' } })
    response.assertStatus(200)
    assert.equal(response.body().data.snapshotId, stored.body().data.id)
  })

  test('POST /positions/snooze as compound mutes the compound_v3 position and answers compound_v3', async ({
    client,
    assert,
  }) => {
    const user = await UserFactory.create()
    const token = await userToken(user)
    const until = new Date(Date.now() + 3600_000)
    const snooze = await client
      .post('/api/v1/positions/snooze')
      .bearerToken(token)
      .json({ protocol: 'compound', chainId: 1, until: until.toISOString() })
    snooze.assertStatus(200)
    assert.deepEqual(snooze.body().data, {
      protocol: 'compound_v3',
      chainId: 1,
      until: until.toISOString(),
    })
    const row = await db.from('position_snoozes').where('user_id', user.id).firstOrFail()
    assert.equal(row.protocol, 'compound_v3')

    // HF 1.2 is below the default threshold (1.5): only the position not snoozed alerts.
    for (const protocol of ['compound', 'aave']) {
      ;(
        await client
          .post('/api/v1/positions')
          .bearerToken(token)
          .json(snapshotBody({ protocol, healthFactor: '1.2' }))
      ).assertStatus(201)
    }
    const alerts = await db.from('alerts').where('user_id', user.id)
    assert.deepEqual(
      alerts.map((a) => a.metadata.protocol),
      ['aave_v3']
    )
  })
})
