import { test } from '@japa/runner'

test.group('Health | live and ready', () => {
  test('live answers without touching the database', async ({ client }) => {
    const response = await client.get('/health/live')
    response.assertStatus(200)
    response.assertBody({ status: 'ok' })
  })

  test('ready reports the database check', async ({ client, assert }) => {
    const response = await client.get('/health/ready')
    response.assertStatus(200)
    assert.equal(response.body().status, 'ok')
    assert.isTrue(response.body().checks.database.ok)
  })
})
