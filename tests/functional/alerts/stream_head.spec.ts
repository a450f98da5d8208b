import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { UserFactory } from '#factories/user_factory'
import { streamHead } from '#services/alerts/alert_stream'
import { truncateAll } from '#tests/helpers/database'
import { integrated } from '#tests/helpers/events'
import eventRecorder from '#services/events/event_recorder'

test.group('Alerts | stream head', (group) => {
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test('the head is the newest event by number, not by its text (99 < 100)', async ({ assert }) => {
    const user = await UserFactory.create()
    await db.transaction((trx) =>
      eventRecorder.append(trx, {
        aggregateType: 'user',
        aggregateId: user.id,
        eventType: 'user.registered',
        payload: { walletAddress: user.walletAddress, via: 'siwe' },
      })
    )
    await integrated()
    const sealed = await db.from('event_store').where('user_id', user.id).firstOrFail()
    const tx = String(sealed.tx)
    // two more events of that sealed transaction, at positions 99 and 100
    for (const position of [99, 100]) {
      await db.rawQuery(
        `insert into event_store (position, aggregate_type, aggregate_id, version, event_type, user_id, tx)
         values (?, 'user', ?, ?, 'user.updated', ?, ?::xid8)`,
        [position, user.id, 1000 + position, user.id, tx]
      )
    }
    assert.deepEqual(await streamHead(user.id), [tx, '100'])
  })
})
