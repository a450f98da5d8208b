import { test } from '@japa/runner'
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { createHmac, timingSafeEqual } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import delivery from '#config/delivery'
import { UserFactory } from '#factories/user_factory'
import { drainChannel } from '#services/delivery/deliver_alerts'
import { isPublicAddress } from '#infrastructure/delivery/ssrf_guard'
import { postWebhook } from '#infrastructure/delivery/webhook_client'
import { truncateAll } from '#tests/helpers/database'
import { userToken } from '#tests/helpers/auth'
import { HttpReceiver, SmtpSink } from '#tests/helpers/fake_receivers'
import { alertRow, eventsOf, pendingAlert, waitUntil } from '#tests/helpers/alerts'

const HOSTILE = 'Depeg on <img src=x onerror=alert(1)> & "friends"'

test.group('Delivery | email over SMTP', (group) => {
  const smtp = new SmtpSink()
  group.setup(async () => {
    await smtp.start(Number(process.env.SMTP_PORT))
    return () => smtp.stop()
  })
  group.each.setup(async () => {
    smtp.messages.length = 0
    smtp.refusals.length = 0
    await truncateAll()
  })

  test('plain-text and HTML bodies, hostile text escaped in the HTML; alert.sent', async ({
    assert,
  }) => {
    const user = await UserFactory.apply('withEmail').create()
    const id = await pendingAlert(user.id, 'email', { message: HOSTILE, severity: 'critical' })

    const result = await drainChannel('email')
    assert.equal(result.sent, 1)
    const [mail] = smtp.messages
    assert.equal(mail.to && !Array.isArray(mail.to) ? mail.to.value[0].address : null, user.email)
    assert.equal(mail.from?.value[0].address, 'alerts@test.local')
    assert.equal(mail.subject, '[DeFi Assistant] CRITICAL · Depeg')
    assert.include(mail.text ?? '', HOSTILE, 'the text body carries the message as is')
    assert.include(
      mail.html || '',
      'Depeg on &lt;img src=x onerror=alert(1)&gt; &amp; &quot;friends&quot;'
    )
    assert.notInclude(mail.html || '', '<img')
    const row = await alertRow(id)
    assert.equal(row.status, 'sent')
    assert.deepEqual(await eventsOf(id), ['alert.sent'])
  })

  test('a 4xx SMTP reply is retried; a 5xx one fails at once', async ({ assert }) => {
    const user = await UserFactory.apply('withEmail').create()
    smtp.refusals.push(451)
    const retried = await pendingAlert(user.id, 'email')
    await drainChannel('email')
    let row = await alertRow(retried)
    assert.equal(row.status, 'pending')
    assert.equal(row.attempts, 1)
    assert.include(row.last_error, '451')
    assert.isTrue(
      await waitUntil(
        async () => {
          await drainChannel('email')
          return (await alertRow(retried)).status === 'sent'
        },
        5000,
        20
      )
    )
    assert.lengthOf(smtp.messages, 1)

    smtp.refusals.push(550)
    const refused = await pendingAlert(user.id, 'email')
    await drainChannel('email')
    row = await alertRow(refused)
    assert.equal(row.status, 'failed')
    assert.include(row.last_error, '550')
    assert.deepEqual(await eventsOf(refused), ['alert.failed'])
  })

  test('no email address: failed with a reason, nothing sent', async ({ assert }) => {
    const user = await UserFactory.create()
    const id = await pendingAlert(user.id, 'email')
    await drainChannel('email')
    const row = await alertRow(id)
    assert.equal(row.status, 'failed')
    assert.equal(row.last_error, 'no email address is set')
    assert.lengthOf(smtp.messages, 0)
  })
})

test.group('Delivery | signed webhooks', (group) => {
  const receiver = new HttpReceiver()
  group.setup(async () => {
    await receiver.start()
    return () => receiver.stop()
  })
  group.each.setup(async () => {
    receiver.requests.length = 0
    receiver.statuses.length = 0
    delivery.webhook.allowPrivateAddresses = true
    await truncateAll()
    return () => {
      delivery.webhook.allowPrivateAddresses = true
    }
  })

  async function userWithWebhook(client: any, url: string) {
    const user = await UserFactory.create()
    const response = await client
      .patch('/api/v1/me')
      .bearerToken(await userToken(user))
      .json({ preferences: { webhookUrl: url, notificationChannels: ['webhook'] } })
    response.assertStatus(200)
    return { user, secret: response.body().meta?.webhookSecret as string, response }
  }

  test('the receiver verifies the HMAC-SHA256 signature over timestamp.body with the secret shown once', async ({
    assert,
    client,
  }) => {
    const { user, secret } = await userWithWebhook(client, `http://127.0.0.1:${receiver.port}/hook`)
    assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/)
    const stored = await db.from('users').where('id', user.id).first()
    assert.notInclude(stored.webhook_secret, secret, 'stored encrypted, not in clear')

    // Never shown again.
    const again = await client.get('/api/v1/me').bearerToken(await userToken(user))
    assert.notInclude(JSON.stringify(again.body()), secret)

    const id = await pendingAlert(user.id, 'webhook', { message: HOSTILE })
    assert.equal((await drainChannel('webhook')).sent, 1)

    const [request] = receiver.requests
    const timestamp = String(request.headers['x-defi-assistant-timestamp'])
    const signature = String(request.headers['x-defi-assistant-signature'])
    assert.approximately(Number(timestamp), Date.now() / 1000, 30)
    const expected = `v1=${createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest('hex')}`
    assert.isTrue(
      timingSafeEqual(Buffer.from(signature), Buffer.from(expected)),
      'signature verifies'
    )
    const wrong = `v1=${createHmac('sha256', 'whsec_other').update(`${timestamp}.${request.body}`).digest('hex')}`
    assert.notEqual(signature, wrong)

    const body = JSON.parse(request.body)
    assert.deepInclude(body.alert, { id, type: 'depeg', severity: 'high', message: HOSTILE })
    assert.equal(request.headers['content-type'], 'application/json')
    assert.equal((await alertRow(id)).status, 'sent')
  })

  test('a new URL gets a new secret; an unchanged patch shows none', async ({ assert, client }) => {
    const { user, secret } = await userWithWebhook(client, `http://127.0.0.1:${receiver.port}/a`)
    const token = await userToken(user)
    const same = await client
      .patch('/api/v1/me')
      .bearerToken(token)
      .json({ preferences: { webhookUrl: `http://127.0.0.1:${receiver.port}/a` } })
    assert.isUndefined(same.body().meta)
    const moved = await client
      .patch('/api/v1/me')
      .bearerToken(token)
      .json({ preferences: { webhookUrl: `http://127.0.0.1:${receiver.port}/b` } })
    const next = moved.body().meta.webhookSecret
    assert.match(next, /^whsec_/)
    assert.notEqual(next, secret)
  })

  test('non-2xx answers are retried; a redirect is not followed', async ({ assert, client }) => {
    const { user } = await userWithWebhook(client, `http://127.0.0.1:${receiver.port}/hook`)
    receiver.statuses.push(500, 302)
    const id = await pendingAlert(user.id, 'webhook')
    await drainChannel('webhook')
    let row = await alertRow(id)
    assert.equal(row.status, 'pending')
    assert.include(row.last_error, 'HTTP 500')
    assert.isTrue(
      await waitUntil(
        async () => {
          await drainChannel('webhook')
          return (await alertRow(id)).status === 'sent'
        },
        5000,
        20
      )
    )
    row = await alertRow(id)
    assert.equal(row.attempts, 3, '500, 302, then 204')
    assert.lengthOf(receiver.requests, 3)
  })

  test('SSRF guard: a name that resolves to 127.0.0.1 is refused at send time', async ({
    assert,
    client,
  }) => {
    // Set through the API with a public-looking URL, then the name "changes its answer"
    // (DNS rebinding): what counts is where the socket would connect at send time.
    const { user } = await userWithWebhook(client, `http://127.0.0.1:${receiver.port}/hook`)
    await db.rawQuery(
      `update users set preferences = jsonb_set(preferences, '{webhookUrl}', to_jsonb(?::text)) where id = ?`,
      [`http://localhost:${receiver.port}/hook`, user.id]
    )
    delivery.webhook.allowPrivateAddresses = false
    const id = await pendingAlert(user.id, 'webhook')
    await drainChannel('webhook')
    const row = await alertRow(id)
    assert.equal(row.status, 'failed', 'refused at once, not retried')
    // the user reads last_error: it names their host, never the address it resolved to
    assert.equal(row.last_error, 'localhost does not resolve to a public address')
    assert.lengthOf(receiver.requests, 0, 'no request reached the private address')
  })

  test('SSRF guard: private, loopback, link-local and metadata literals are refused when set', async ({
    assert,
    client,
  }) => {
    delivery.webhook.allowPrivateAddresses = false
    const user = await UserFactory.create()
    const token = await userToken(user)
    for (const url of [
      'http://127.0.0.1/hook',
      'http://10.1.2.3/hook',
      'http://192.168.0.10/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/hook',
      'http://[fd00:ec2::254]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://100.64.0.1/hook',
    ]) {
      const response = await client
        .patch('/api/v1/me')
        .bearerToken(token)
        .json({ preferences: { webhookUrl: url } })
      response.assertStatus(422)
      assert.equal(response.body().errors[0].field, 'preferences.webhookUrl', url)
    }
    const stored = await db.from('users').where('id', user.id).first()
    assert.isUndefined(stored.preferences.webhookUrl)
    assert.isNull(stored.webhook_secret)
  })

  test('a server that trickles its answer is cut off at the deadline, not waited on forever', async ({
    assert,
  }) => {
    // the status line a byte every 100 ms: never idle for the socket's timeout
    const server = net.createServer((socket) => {
      const line = 'HTTP/1.1 200 OK\r\n\r\n'
      let at = 0
      const drip = setInterval(() => socket.write(line[at++ % line.length]), 100)
      socket.on('error', () => {})
      socket.on('close', () => clearInterval(drip))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const outcome = await Promise.race([
        postWebhook(`http://127.0.0.1:${port}/hook`, 'secret', '{}', {
          allowPrivateAddresses: true,
          timeoutMs: 500,
        }),
        new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5000)),
      ])
      assert.deepEqual(outcome, { kind: 'transient', error: 'webhook: no answer within 500 ms' })
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  test('a 2xx counts from its status line: a body trickling past the deadline is not a failure', async ({
    assert,
  }) => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      const drip = setInterval(() => res.write('.'), 100)
      res.on('close', () => clearInterval(drip))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const outcome = await postWebhook(`http://127.0.0.1:${port}/hook`, 'secret', '{}', {
        allowPrivateAddresses: true,
        timeoutMs: 500,
      })
      assert.deepEqual(outcome, { kind: 'sent' })
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  test('isPublicAddress', ({ assert }) => {
    for (const ip of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111'])
      assert.isTrue(isPublicAddress(ip), ip)
    for (const ip of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '0.0.0.0',
      '::1',
      'fe80::1',
      'fc00::1',
      '::ffff:10.0.0.1',
      // IPv4-compatible (deprecated): loopback and the metadata address behind a 6-in-4 route
      '::7f00:1',
      '::a9fe:a9fe',
      '224.0.0.1',
      '100.64.0.1',
      'not-an-ip',
    ]) {
      assert.isFalse(isPublicAddress(ip), ip)
    }
  })
})
