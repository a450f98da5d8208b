import { test } from '@japa/runner'
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, startApiProcess } from '#tests/helpers/api_process'

/**
 * A real API process whose database is a port nobody listens on: what a
 * client sees when PostgreSQL is down.
 */
test.group('HTTP | database down', (group) => {
  let child: ChildProcess
  let base: string
  const log = join(tmpdir(), `database-down-${process.pid}-${Date.now()}.log`)

  group.setup(async () => {
    const previous = process.env.API_PROCESS_LOG
    process.env.API_PROCESS_LOG = log
    try {
      ;({ child, base } = await startApiProcess({
        DB_HOST: '127.0.0.1',
        DB_PORT: String(await freePort()),
        DATABASE_URL: '',
        LOG_LEVEL: 'error',
      }))
    } finally {
      process.env.API_PROCESS_LOG = previous
    }
  })
  group.teardown(() => {
    child.kill('SIGKILL')
  })

  test('liveness still answers; readiness says 503 with the failing check', async ({ assert }) => {
    assert.equal((await fetch(`${base}/health/live`)).status, 200)
    const started = Date.now()
    const ready = await fetch(`${base}/health/ready`)
    assert.equal(ready.status, 503)
    const body = (await ready.json()) as {
      status: string
      checks: { database: { ok: boolean; message: string } }
    }
    assert.equal(body.status, 'unavailable')
    assert.isFalse(body.checks.database.ok)
    // public: what failed, not the driver's message (it names the host and port)
    assert.include(
      ['the database check failed', 'no answer within 1500 ms'],
      body.checks.database.message
    )
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

  test('the outage is logged once per interval, not once per request', async ({ assert }) => {
    const statuses = await Promise.all(
      Array.from({ length: 30 }, () => fetch(`${base}/api/v1/auth/nonce`).then((r) => r.status))
    )
    assert.deepEqual([...new Set(statuses)], [503])
    // pino writes asynchronously; give it a moment
    await new Promise((resolve) => setTimeout(resolve, 300))
    const lines = readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"level":50'))
    assert.lengthOf(lines, 1, lines.map((l) => l.slice(0, 120)).join('\n'))
    assert.include(lines[0], 'database unavailable: answering 503')
  })
})
