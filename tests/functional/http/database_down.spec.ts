import { test } from '@japa/runner'
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import app from '@adonisjs/core/services/app'

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/**
 * A real API process whose database is a port nobody listens on: what a
 * client sees when PostgreSQL is down.
 */
test.group('HTTP | database down', (group) => {
  let child: ChildProcess
  let base: string

  group.setup(async () => {
    const [port, deadPort] = [await freePort(), await freePort()]
    base = `http://127.0.0.1:${port}`
    child = spawn(process.execPath, ['bin/start.js'], {
      cwd: app.appRoot.pathname,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        PORT: String(port),
        HOST: '127.0.0.1',
        DB_HOST: '127.0.0.1',
        DB_PORT: String(deadPort),
        DATABASE_URL: '',
      },
      stdio: 'ignore',
    })
    for (let i = 0; i < 150; i++) {
      try {
        await fetch(`${base}/health/live`)
        return
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
    throw new Error('the API did not start')
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
