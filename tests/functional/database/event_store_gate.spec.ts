import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import features from '#config/features'
import { UserFactory } from '#factories/user_factory'
import { syncEventStoreGate, EVENT_STORE_AGGREGATE_ID } from '#services/events/gate'
import { userToken } from '#tests/helpers/auth'

test.group('Event store | the FEATURE_EVENT_STORE gate', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.teardown(() => {
    features.eventStore = true
  })

  test('off: nothing is appended; on again: appending resumes and the gap is recorded once', async ({
    assert,
    client,
  }) => {
    const user = await UserFactory.create()
    const token = await userToken(user)
    const patch = (riskProfile: string) =>
      client.patch('/api/v1/me').bearerToken(token).json({ preferences: { riskProfile } })
    const eventsOf = async (id: string) =>
      (await db.from('event_store').where('aggregate_id', id).orderBy('version')).map(
        (e) => e.event_type
      )

    assert.equal(await syncEventStoreGate(), 'unchanged')
    features.eventStore = false
    assert.equal(await syncEventStoreGate(), 'disabled')
    assert.equal(
      await syncEventStoreGate(),
      'unchanged',
      'a second process booting changes nothing'
    )
    ;(await patch('aggressive')).assertStatus(200)
    assert.deepEqual(await eventsOf(user.id), [], 'the change happened, unrecorded')
    assert.equal(
      (await db.from('users').where('id', user.id).first()).preferences.riskProfile,
      'aggressive'
    )

    features.eventStore = true
    assert.equal(await syncEventStoreGate(), 'enabled')
    assert.equal(await syncEventStoreGate(), 'unchanged')
    const [gap] = await db.from('event_store').where('aggregate_id', EVENT_STORE_AGGREGATE_ID)
    assert.equal(gap.event_type, 'system.event_store_enabled')
    assert.isBelow(
      new Date(gap.payload.disabledAt).getTime(),
      new Date(gap.payload.enabledAt).getTime() + 1
    )
    ;(await patch('conservative')).assertStatus(200)
    assert.deepEqual(await eventsOf(user.id), ['user.preferences_updated'])
  })
})
