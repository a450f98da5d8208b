import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import EventsReplay from '#commands/events_replay'
import { serviceToken, signIn } from '#tests/helpers/auth'
import { snapshotBody } from '#tests/helpers/snapshots'
import { truncateAll } from '#tests/helpers/database'
import { replayInto } from '#services/events/replay'
import { recordSnapshots } from '#services/positions/record_snapshots'
import { DateTime } from 'luxon'

async function replay(schema: string) {
  const ace = await app.container.make('ace')
  ace.ui.switchMode('raw')
  const command = await ace.create(EventsReplay, [`--into=${schema}`])
  await command.exec()
  return {
    command,
    logs: command.logger
      .getLogs()
      .map((l) => l.message)
      .join('\n'),
  }
}

test.group('Event store | node ace events:replay --into', (group) => {
  // committed rows: events are sealed by the integrator after commit (docs/adr/0012)
  group.each.setup(async () => {
    await truncateAll()
    return async () => {
      await db.rawQuery('drop schema if exists replay_clean cascade')
      await db.rawQuery('drop schema if exists replay_dirty cascade')
      await truncateAll()
    }
  })

  test('rebuilds the read side from events alone and finds no difference; an unrecorded change is reported', async ({
    assert,
    client,
  }) => {
    const { token } = await signIn(client)
    await client
      .patch('/api/v1/me')
      .bearerToken(token)
      .json({
        email: 'r@example.com',
        preferences: { watchAssets: ['USDC'], quietHours: { start: '22:00', end: '06:00' } },
      })
    await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(snapshotBody({ snapshotAt: '2026-11-01T10:00:00Z' }))
    await client
      .post('/api/v1/positions')
      .bearerToken(token)
      .json(snapshotBody({ snapshotAt: '2026-11-01T12:00:00Z' }))
    // a second user, created by an indexer's ingest
    await client
      .post('/api/v1/positions')
      .bearerToken(await serviceToken(['positions:write']))
      .json(snapshotBody({ walletAddress: '0x00000000000000000000000000000000000000aa' }))
    await client
      .post('/api/v1/signals')
      .bearerToken(await serviceToken(['signals:write']))
      .json({
        type: 'depeg',
        asset: 'USDC',
        severity: 'high',
        detectedAt: new Date(Date.now() - 1000).toISOString(),
      })
    const [alert] = (await client.get('/api/v1/alerts').bearerToken(token)).body().data
    await client.post(`/api/v1/alerts/${alert.id}/acknowledge`).bearerToken(token)
    const intent = await client
      .post('/api/v1/intents')
      .bearerToken(token)
      .json({
        name: 'guard',
        protocol: 'aave_v3',
        chainId: 1,
        condition: { metric: 'health_factor', operator: 'lt', value: '1.2' },
        action: { type: 'notify', asset: 'USDC', amount: '1' },
      })
    await client
      .patch(`/api/v1/intents/${intent.body().data.id}`)
      .bearerToken(token)
      .json({ status: 'paused' })

    const clean = await replay('replay_clean')
    clean.command.assertSucceeded()
    assert.include(
      clean.logs,
      'replayed 2 users into "replay_clean": users 2, position_heads 2, alerts 2, intents 1'
    )
    assert.include(clean.logs, 'no difference from the live tables')
    const { rows } = await db.rawQuery(`select status from replay_clean.intents`)
    assert.deepEqual(rows, [{ status: 'paused' }])

    // A change that bypassed the event store.
    await db.from('alerts').where('id', alert.id).update({ status: 'sent' })
    const dirty = await replay('replay_dirty')
    dirty.command.assertFailed()
    assert.include(dirty.logs, `alerts ${alert.id} status: live "sent" / replayed "acknowledged"`)
    assert.include(dirty.logs, '1 difference(s)')

    const again = await replay('replay_clean')
    again.command.assertFailed()
    assert.include(again.logs, 'already exists')
  })
})

test.group('Event store | events:replay on a live system', (group) => {
  // committed rows: writers on other connections go on while the replay runs
  group.each.setup(async () => {
    await truncateAll()
    return async () => {
      await db.rawQuery('drop schema if exists replay_live cascade')
      await truncateAll()
    }
  })

  const wallet = (n: number) => `0x${n.toString(16).padStart(40, '0')}`
  const ingest = (from: number, count: number) =>
    recordSnapshots(
      { kind: 'service' },
      Array.from({ length: count }, (_, i) => ({
        ...snapshotBody({ walletAddress: wallet(from + i) }),
        snapshotAt: DateTime.fromISO('2026-11-01T00:00:00Z'),
      })) as any
    )

  test('changes committed while it runs are not reported as differences', async ({ assert }) => {
    await ingest(1, 30)
    let done = false
    let written = 0
    const writer = (async () => {
      // sign-ups with their first snapshot, the whole time the replay runs
      for (let n = 1000; !done; n++) {
        await ingest(n, 1)
        written++
      }
    })()
    const report = await replayInto('replay_live')
    done = true
    await writer

    assert.isAbove(written, 0, 'changes were committed during the replay')
    assert.deepEqual(report.differences, [])
    assert.isAtLeast(report.users, 30)
  }).timeout(30_000)
})
