import { test } from '@japa/runner'
import type { ChildProcess } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { UserFactory } from '#factories/user_factory'
import { startApiProcess } from '#tests/helpers/api_process'
import { userToken } from '#tests/helpers/auth'
import { truncateAll } from '#tests/helpers/database'
import { assertConformsToDocument } from '#tests/helpers/openapi'

/*
 * Abuse against a real API process with production-like limits: a burst
 * beyond the rate limits, and slow-loris clients trickling a body.
 */

const API_LIMIT = 50
const AUTH_LIMIT = 10
const REQUEST_TIMEOUT_MS = 3_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function timed(url: string, init: RequestInit = {}) {
  const response = await fetch(url, init)
  const text = await response.text()
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    contentType: response.headers.get('content-type') ?? '',
    body: text ? JSON.parse(text) : null,
  }
}

/** Opens a request announcing a big body, then sends one byte every `everyMs`. */
function slowLoris(base: string, everyMs: number, token?: string) {
  const { hostname, port } = new URL(base)
  const socket: Socket = connect(Number(port), hostname)
  const state = { closedAfterMs: -1, bytesSent: 0, response: '' }
  const started = Date.now()
  let timer: NodeJS.Timeout | undefined
  socket.on('connect', () => {
    socket.write(
      'POST /api/v1/positions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        (token ? `Authorization: Bearer ${token}\r\n` : '') +
        'Content-Length: 1000000\r\n\r\n'
    )
    timer = setInterval(() => {
      if (!socket.destroyed && socket.writable) {
        socket.write('[')
        state.bytesSent++
      }
    }, everyMs)
  })
  socket.on('data', (chunk) => (state.response += chunk.toString()))
  const closed = new Promise<void>((resolve) => {
    const done = () => {
      clearInterval(timer)
      if (state.closedAfterMs < 0) state.closedAfterMs = Date.now() - started
      resolve()
    }
    socket.on('close', done)
    socket.on('error', done)
  })
  return { state, closed, destroy: () => socket.destroy() }
}

test.group('Resilience | abuse', (group) => {
  let child: ChildProcess
  let base: string

  group.setup(async () => {
    await truncateAll()
    ;({ child, base } = await startApiProcess({
      RATE_LIMIT_API_PER_MINUTE: String(API_LIMIT),
      RATE_LIMIT_AUTH_PER_MINUTE: String(AUTH_LIMIT),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    }))
    return async () => {
      child.kill('SIGKILL')
      await truncateAll()
    }
  })

  test('a burst far beyond the limits: exactly the budget passes, the rest is 429 with Retry-After', async ({
    assert,
  }) => {
    const token = await userToken(await UserFactory.create())
    const burst = await Promise.all(
      Array.from({ length: API_LIMIT * 4 }, () =>
        timed(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })
      )
    )
    const authBurst = await Promise.all(
      Array.from({ length: AUTH_LIMIT * 4 }, () => timed(`${base}/api/v1/auth/nonce`))
    )

    for (const [responses, limit, path] of [
      [burst, API_LIMIT, '/api/v1/me'],
      [authBurst, AUTH_LIMIT, '/api/v1/auth/nonce'],
    ] as const) {
      const ok = responses.filter((r) => r.status === 200)
      const limited = responses.filter((r) => r.status === 429)
      assert.equal(ok.length, limit, `${path}: exactly the budget passes`)
      assert.equal(limited.length, responses.length - limit, `${path}: everything else is 429`)
      for (const r of limited) {
        assert.isAbove(Number(r.retryAfter), 0)
        assertConformsToDocument({
          method: 'GET',
          url: path,
          status: r.status,
          contentType: r.contentType,
          headers: { 'retry-after': r.retryAfter ?? undefined },
          body: r.body,
        })
      }
    }
    console.log(
      `rate limits: ${burst.length} concurrent user requests → ${API_LIMIT} served, ${burst.length - API_LIMIT} × 429; ` +
        `${authBurst.length} concurrent sign-in calls → ${AUTH_LIMIT} served, ${authBurst.length - AUTH_LIMIT} × 429`
    )
  }).timeout(60_000)

  test('slow-loris bodies are cut off by the request timeout, and do not starve others', async ({
    assert,
  }) => {
    // With a valid token each (the body is read only once the caller is known, ADR 0008).
    const owner = await UserFactory.create()
    const tokens = await Promise.all(Array.from({ length: 50 }, () => userToken(owner)))
    const clients = tokens.map((token) => slowLoris(base, 200, token))
    await sleep(500)
    // While they trickle, the API still answers at once.
    const started = performance.now()
    const live = await fetch(`${base}/health/live`)
    const liveMs = performance.now() - started
    assert.equal(live.status, 200)
    assert.isBelow(liveMs, 1_000)

    const deadline = sleep(REQUEST_TIMEOUT_MS + 10_000)
    await Promise.race([Promise.all(clients.map((c) => c.closed)), deadline])
    clients.forEach((c) => c.destroy())
    const cutAfter = clients.map((c) => c.state.closedAfterMs)
    for (const c of clients) {
      assert.isAbove(c.state.closedAfterMs, 0, 'the server closed the connection')
      // Timeout plus Node's 1 s check interval, plus scheduling slack.
      assert.isBelow(c.state.closedAfterMs, REQUEST_TIMEOUT_MS + 3_000)
      assert.isBelow(c.state.bytesSent, 100)
      assert.match(c.state.response, /^HTTP\/1\.1 408/)
      assert.include(c.state.response, '"code":"E_REQUEST_TIMEOUT"')
    }
    console.log(
      `slow-loris: 50 connections trickling 1 byte / 200 ms, each cut off after ${Math.min(...cutAfter)}–${Math.max(...cutAfter)} ms with 408; /health/live meanwhile in ${Math.round(liveMs)} ms`
    )
  }).timeout(60_000)

  test('a slow-loris without a token is answered 401 and its body never read', async ({
    assert,
  }) => {
    const client = slowLoris(base, 200)
    await Promise.race([client.closed, sleep(REQUEST_TIMEOUT_MS + 10_000)])
    client.destroy()
    assert.match(client.state.response, /^HTTP\/1\.1 401/)
    assert.isBelow(client.state.bytesSent, 100)
  }).timeout(60_000)
})
