import { test } from '@japa/runner'
import type { ChildProcess } from 'node:child_process'
import { freePort, startApiProcess } from '#tests/helpers/api_process'

/**
 * A real API process whose database is a port nobody listens on: what a
 * client sees when PostgreSQL is down.
 */
test.group('HTTP | database down', (group) => {
  let child: ChildProcess
  let base: string

  group.setup(async () => {
    ;({ child, base } = await startApiProcess({
      DB_HOST: '127.0.0.1',
      DB_PORT: String(await freePort()),
      DATABASE_URL: '',
    }))
  })
  group.teardown(() => {
    child.kill('SIGKILL')
  })

  test('liveness still answers; readiness says 503 with the failing check', async ({ assert }) => {
    assert.equal((await fetch(`${base}/health/live`)).status, 200)
    const started = Date.now()
    const ready = await fetch(`${base}/health/ready`)
    assert.equal(ready.status, 503)
    const body = (await ready.json()) as { status: string; checks: { database: { ok: boolean } } }
    assert.equal(body.status, 'unavailable')
    assert.isFalse(body.checks.database.ok)
    assert.isBelow(Date.now() - started, 2_500, 'no hang')
  })

  test('a request that needs the database is a 503 in the error shape, with Retry-After, fast', async ({
    assert,
  }) => {
    const started = Date.now()
    const response = await fetch(`${base}/api/v1/auth/nonce`)
    assert.equal(response.status, 503)
    assert.equal(response.headers.get('retry-after'), '5')
    assert.deepEqual(await response.json(), {
      errors: [
        {
          code: 'E_SERVICE_UNAVAILABLE',
          message: 'The database is unavailable, try again shortly',
        },
      ],
    })
    assert.isBelow(Date.now() - started, 2_500, 'no hang')
  })
})
