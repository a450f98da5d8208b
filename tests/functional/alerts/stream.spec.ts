import { test } from '@japa/runner'
import env from '#start/env'
import features from '#config/features'
import { UserFactory } from '#factories/user_factory'
import type { User } from '#models'
import { serviceToken, userToken } from '#tests/helpers/auth'
import { truncateAll } from '#tests/helpers/database'
import { IntegratorLoop } from '#services/events/integrator_loop'
import { MAX_STREAMS_PER_USER } from '#services/alerts/alert_stream'

/*
 * No global transaction here: the stream reads only committed transactions
 * (older than every one still running), exactly as a dashboard would see them.
 */

interface SseEvent {
  id: string
  event: string
  data: any
}

const base = () => `http://${env.get('HOST', '127.0.0.1')}:${env.get('PORT', 3333)}`

/** A Server-Sent Events reader over fetch: what a dashboard does with a bearer token. */
class Stream {
  events: SseEvent[] = []
  ended = false
  #abort = new AbortController()
  #waiters: (() => void)[] = []

  static async open(token: string, options: { lastEventId?: string; query?: string } = {}) {
    const stream = new Stream()
    const response = await fetch(`${base()}/api/v1/alerts/stream${options.query ?? ''}`, {
      headers: {
        Authorization: `Bearer ${token}`,
        ...(options.lastEventId ? { 'Last-Event-ID': options.lastEventId } : {}),
      },
      signal: stream.#abort.signal,
    })
    return { stream, response }
  }

  static async ready(token: string, lastEventId?: string) {
    const { stream, response } = await Stream.open(token, { lastEventId })
    if (response.status !== 200) throw new Error(`stream answered ${response.status}`)
    void stream.read(response)
    await stream.until((events) => events.some((e) => e.event === 'ready'))
    return stream
  }

  async read(response: Response) {
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of response.body!) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true })
        let cut
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut)
          buffer = buffer.slice(cut + 2)
          const fields: Record<string, string> = {}
          for (const line of block.split('\n')) {
            const i = line.indexOf(':')
            if (i > 0) fields[line.slice(0, i)] = line.slice(i + 1).trimStart()
          }
          if (fields.event) {
            this.events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) })
          }
          this.#waiters.forEach((w) => w())
        }
      }
    } catch {
      // aborted by close()
    }
    this.ended = true
    this.#waiters.forEach((w) => w())
  }

  get alerts() {
    return this.events.filter((e) => e.event.startsWith('alert.'))
  }

  async until(check: (events: SseEvent[]) => boolean, ms = 8_000) {
    const deadline = Date.now() + ms
    while (!check(this.events)) {
      if (Date.now() > deadline) {
        throw new Error(
          `stream: condition not met; got ${JSON.stringify(this.events.map((e) => [e.event, e.data?.alert?.message]))}`
        )
      }
      if (this.ended) throw new Error('stream ended')
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve)
        setTimeout(resolve, 200)
      })
    }
  }

  close() {
    this.#abort.abort()
  }
}

async function watcher(assets: string[]) {
  return UserFactory.merge({
    preferences: {
      activeSignals: ['depeg'],
      watchAssets: assets,
      notificationChannels: ['in_app'],
    },
  }).create()
}

async function signal(client: any, asset: string, message: string) {
  const response = await client
    .post('/api/v1/signals')
    .bearerToken(await serviceToken(['signals:write']))
    .json({
      type: 'depeg',
      asset,
      severity: 'high',
      data: { note: message },
      detectedAt: new Date().toISOString(),
    })
  response.assertStatus(201)
  return response.body().data.id as string
}

const signalIds = (events: SseEvent[]) => events.map((e) => `${e.event}:${e.data.alert.signalId}`)

test.group('Alerts | GET /alerts/stream (Server-Sent Events)', (group) => {
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })
  // The stream shows sealed events: the integrator runs as a worker runs it (docs/adr/0012).
  group.setup(() => {
    const loop = new IntegratorLoop()
    loop.start()
    return () => loop.stop()
  })

  test("a user receives their new alerts and status changes, and never another user's", async ({
    assert,
    client,
  }) => {
    const alice: User = await watcher(['USDC'])
    const bob: User = await watcher(['DAI'])
    const aliceToken = await userToken(alice)
    const a = await Stream.ready(aliceToken)
    const b = await Stream.ready(await userToken(bob))
    try {
      const first = await signal(client, 'USDC', 'one')
      await a.until((e) => e.some((x) => x.event === 'alert.created'))
      const bobs = await signal(client, 'DAI', 'two')
      await b.until((e) => e.some((x) => x.event === 'alert.created'))
      const third = await signal(client, 'USDC', 'three')
      await a.until((e) => e.filter((x) => x.event === 'alert.created').length === 2)

      // Commit order: had Bob's alert reached Alice, it would sit between hers.
      assert.deepEqual(signalIds(a.alerts), [`alert.created:${first}`, `alert.created:${third}`])
      assert.deepEqual(signalIds(b.alerts), [`alert.created:${bobs}`])
      const created = a.alerts[0].data
      assert.equal(created.type, 'alert.created')
      assert.equal(created.alert.channel, 'in_app')
      assert.match(created.occurredAt, /Z$/)

      // A status change arrives as its own event, with the alert as it now is.
      const alertId = created.alert.id
      const ack = await client.post(`/api/v1/alerts/${alertId}/acknowledge`).bearerToken(aliceToken)
      ack.assertStatus(200)
      await a.until((e) => e.some((x) => x.event === 'alert.acknowledged'))
      const acknowledged = a.alerts.find((x) => x.event === 'alert.acknowledged')!
      assert.equal(acknowledged.data.alert.id, alertId)
      assert.equal(acknowledged.data.alert.status, 'acknowledged')
      assert.deepEqual(signalIds(b.alerts), [`alert.created:${bobs}`])
      // Every id is distinct and opaque.
      assert.equal(new Set(a.events.map((e) => e.id)).size, a.events.length)
    } finally {
      a.close()
      b.close()
    }
  }).timeout(40_000)

  test('reconnecting with Last-Event-ID resumes with no gap and no repeat', async ({
    assert,
    client,
  }) => {
    const alice = await watcher(['USDC'])
    const token = await userToken(alice)
    const first = await Stream.ready(token)
    const one = await signal(client, 'USDC', 'one')
    await first.until((e) => e.some((x) => x.event === 'alert.created'))
    const resumeFrom = first.alerts.at(-1)!.id
    first.close()

    // Missed while disconnected.
    const two = await signal(client, 'USDC', 'two')
    const three = await signal(client, 'USDC', 'three')

    const resumed = await Stream.ready(token, resumeFrom)
    try {
      await resumed.until((e) => e.filter((x) => x.event === 'alert.created').length >= 2)
      assert.deepEqual(signalIds(resumed.alerts), [
        `alert.created:${two}`,
        `alert.created:${three}`,
      ])
      assert.notInclude(signalIds(resumed.alerts), `alert.created:${one}`)

      // The query parameter does the same for clients that cannot set the header.
      const { stream: byQuery, response } = await Stream.open(token, {
        query: `?lastEventId=${encodeURIComponent(resumeFrom)}`,
      })
      void byQuery.read(response)
      await byQuery.until((e) => e.filter((x) => x.event === 'alert.created').length >= 2)
      assert.deepEqual(signalIds(byQuery.alerts), signalIds(resumed.alerts))
      byQuery.close()

      // A fresh connection starts from now: nothing old is replayed.
      const fresh = await Stream.ready(token)
      const four = await signal(client, 'USDC', 'four')
      await fresh.until((e) => e.some((x) => x.event === 'alert.created'))
      assert.deepEqual(signalIds(fresh.alerts), [`alert.created:${four}`])
      fresh.close()
    } finally {
      resumed.close()
    }
  }).timeout(40_000)

  test('a forged Last-Event-ID is a 422 in the error shape', async ({ assert }) => {
    const token = await userToken(await watcher(['USDC']))
    const forged = [
      'bm90LWEtY3Vyc29y',
      // digits past bigint / xid8: admitted, they failed the one query serving every stream
      Buffer.from('["0","99999999999999999999"]').toString('base64url'),
      Buffer.from('["18446744073709551616","1"]').toString('base64url'),
    ]
    for (const lastEventId of forged) {
      const { response } = await Stream.open(token, { lastEventId })
      assert.equal(response.status, 422, lastEventId)
      assert.match(response.headers.get('content-type')!, /application\/json/)
      const body = (await response.json()) as any
      assert.equal(body.errors[0].code, 'E_INVALID_CURSOR')
      assert.equal(body.errors[0].field, 'Last-Event-ID')
    }
  })

  test('the largest positions the store can hold are a valid Last-Event-ID; other streams go on', async ({
    assert,
    client,
  }) => {
    const user = await watcher(['USDC'])
    const edge = Buffer.from('["18446744073709551615","9223372036854775807"]').toString('base64url')
    const far = await Stream.ready(await userToken(user), edge)
    const live = await Stream.ready(await userToken(user))
    try {
      const id = await signal(client, 'USDC', 'after the edge')
      await live.until((e) => e.some((x) => x.event === 'alert.created'))
      assert.deepEqual(signalIds(live.alerts), [`alert.created:${id}`])
      assert.deepEqual(far.alerts, [])
    } finally {
      far.close()
      live.close()
    }
  }).timeout(20_000)

  test('revoking the token ends the stream', async ({ assert, client }) => {
    const token = await userToken(await watcher(['USDC']))
    const stream = await Stream.ready(token)
    const logout = await client.post('/api/v1/auth/logout').bearerToken(token)
    logout.assertStatus(204)
    await stream.until((e) => e.some((x) => x.event === 'end'))
    assert.deepEqual(stream.events.at(-1)!.data, { reason: 'token_revoked' })
    await stream.until(() => stream.ended).catch(() => {})
    assert.isTrue(stream.ended)
  }).timeout(20_000)

  test(`at most ${MAX_STREAMS_PER_USER} streams per user; the next is a 429 with Retry-After`, async ({
    assert,
  }) => {
    const token = await userToken(await watcher(['USDC']))
    const open: Stream[] = []
    try {
      for (let i = 0; i < MAX_STREAMS_PER_USER; i++) open.push(await Stream.ready(token))
      const { response } = await Stream.open(token)
      assert.equal(response.status, 429)
      assert.equal(response.headers.get('retry-after'), '15')
      assert.equal(((await response.json()) as any).errors[0].code, 'E_TOO_MANY_REQUESTS')
    } finally {
      open.forEach((s) => s.close())
    }
  }).timeout(20_000)

  test('with the event store off, the stream is a 404 E_FEATURE_DISABLED', async ({ assert }) => {
    const token = await userToken(await watcher(['USDC']))
    features.eventStore = false
    try {
      const { response } = await Stream.open(token)
      assert.equal(response.status, 404)
      assert.equal(((await response.json()) as any).errors[0].code, 'E_FEATURE_DISABLED')
    } finally {
      features.eventStore = true
    }
  })
})
