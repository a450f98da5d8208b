import { test } from '@japa/runner'
import delivery from '#config/delivery'
import { truncateAll } from '#tests/helpers/database'
import { serviceToken, signIn } from '#tests/helpers/auth'
import { snapshotBody } from '#tests/helpers/snapshots'
import { FakeTelegram } from '#tests/helpers/fake_telegram'
import { createLinkCode, linkChat } from '#services/telegram/linking'
import { drainChannel } from '#services/delivery/deliver_alerts'
import { integrated } from '#tests/helpers/events'

/*
 * The audit trail of one whole user story, read back through GET /api/v1/events:
 * every state change appended its event, in the order it happened, with its
 * aggregate's version.
 */
test.group('Event store | a whole user story, event by event', (group) => {
  const telegram = new FakeTelegram()
  const originalRoot = delivery.telegram.apiRoot
  group.setup(async () => {
    await telegram.start()
    delivery.telegram.apiRoot = telegram.url
    await truncateAll()
    return async () => {
      delivery.telegram.apiRoot = originalRoot
      await telegram.stop()
      await truncateAll()
    }
  })

  test('sign-in, preferences, Telegram link, snapshots, fan-out, delivery, acknowledgement, intent trigger', async ({
    assert,
    client,
  }) => {
    const { token, user } = await signIn(client)
    ;(
      await client
        .patch('/api/v1/me')
        .bearerToken(token)
        .json({ preferences: { notificationChannels: ['telegram'], watchAssets: ['USDC'] } })
    ).assertStatus(200)
    const { code } = await createLinkCode(user.id)
    await linkChat('515151', code, 'start')
    ;(
      await client
        .post('/api/v1/positions')
        .bearerToken(token)
        .json(snapshotBody({ snapshotAt: '2026-11-01T10:00:00Z' }))
    ).assertStatus(201)
    ;(
      await client
        .post('/api/v1/intents')
        .bearerToken(token)
        .json({
          protocol: 'aave_v3',
          chainId: 1,
          condition: { metric: 'health_factor', operator: 'lt', value: '1.2' },
          action: { type: 'repay', asset: 'USDC', amount: '100' },
        })
    ).assertStatus(201)
    ;(
      await client
        .post('/api/v1/signals')
        .bearerToken(await serviceToken(['signals:write']))
        .json({
          type: 'depeg',
          asset: 'USDC',
          severity: 'high',
          detectedAt: new Date(Date.now() - 1000).toISOString(),
        })
    ).assertStatus(201)
    assert.equal((await drainChannel('telegram')).sent, 1)
    const inApp = (await client.get('/api/v1/alerts?channel=in_app').bearerToken(token)).body()
      .data[0]
    ;(await client.post(`/api/v1/alerts/${inApp.id}/acknowledge`).bearerToken(token)).assertStatus(
      200
    )
    ;(
      await client
        .post('/api/v1/positions')
        .bearerToken(token)
        .json(snapshotBody({ snapshotAt: '2026-11-01T11:00:00Z', healthFactor: '1.1' }))
    ).assertStatus(201)

    const events: { aggregateType: string; type: string; version: number; payload: any }[] = []
    let after: string | undefined
    do {
      await integrated()
      const page = (
        await client
          .get(`/api/v1/events?limit=200${after ? `&after=${after}` : ''}`)
          .bearerToken(token)
      ).body()
      events.push(...page.data)
      after = page.data.length ? page.meta.nextCursor : undefined
    } while (after)

    const sequence = events.map((e) => {
      const detail = e.type === 'alert.created' ? `:${e.payload.type}/${e.payload.channel}` : ''
      return `${e.aggregateType} v${e.version} ${e.type}${detail}`
    })
    assert.deepEqual(sequence, [
      'user v1 user.registered',
      'user v2 user.preferences_updated',
      'user v3 telegram.linked',
      'position v1 position.snapshot_recorded',
      'intent v1 intent.created',
      'alert v1 alert.created:depeg/in_app',
      'alert v1 alert.created:depeg/telegram',
      'alert v2 alert.sent',
      'alert v2 alert.acknowledged',
      // one transaction: its direct event first, then the journaled ones the integrator
      // wrote after it committed (docs/adr/0012)
      'intent v2 intent.triggered',
      'position v2 position.snapshot_recorded',
      // the user's channels in their order, in-app last
      'alert v1 alert.created:health_factor_low/telegram',
      'alert v1 alert.created:health_factor_low/in_app',
      'alert v1 alert.created:intent_triggered/telegram',
      'alert v1 alert.created:intent_triggered/in_app',
    ])
    assert.lengthOf(telegram.sent('515151'), 1, 'the signal alert went out on Telegram')
  })
})
