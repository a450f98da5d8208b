import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import delivery from '#config/delivery'
import { UserFactory } from '#factories/user_factory'
import { drainChannel } from '#services/delivery/deliver_alerts'
import { TELEGRAM_MESSAGE_LIMIT } from '#domain/delivery/render'
import { FakeTelegram } from '#tests/helpers/fake_telegram'
import { truncateAll } from '#tests/helpers/database'
import { alertRow, eventsOf, pendingAlert, waitUntil } from '#tests/helpers/alerts'
import { holdBack } from '#infrastructure/delivery/pacing'

/*
 * Delivery runs for real here: our drainer, grammY's client, HTTP to a local
 * Bot API server. No global transaction: drains commit like in production.
 */
test.group('Delivery | Telegram', (group) => {
  const telegram = new FakeTelegram()
  const originalRoot = delivery.telegram.apiRoot

  group.setup(async () => {
    await telegram.start()
    delivery.telegram.apiRoot = telegram.url
    return async () => {
      delivery.telegram.apiRoot = originalRoot
      await telegram.stop()
    }
  })
  group.each.setup(async () => {
    telegram.reset()
    await truncateAll()
  })

  test('sends HTML with hostile text escaped, sets sent_at and records alert.sent', async ({
    assert,
  }) => {
    const user = await UserFactory.apply('telegramLinked').create()
    const hostile = 'Pool <b>curve</b> & "3pool" <a href="javascript:alert(1)">x</a>'
    const id = await pendingAlert(user.id, 'telegram', { message: hostile })

    const result = await drainChannel('telegram')
    assert.include(result, { drained: true, sent: 1, failed: 0, retried: 0 })

    const [call] = telegram.sent(user.telegramChatId!)
    assert.equal(call.payload.parse_mode, 'HTML')
    assert.include(
      call.payload.text,
      'Pool &lt;b&gt;curve&lt;/b&gt; &amp; &quot;3pool&quot; &lt;a href=&quot;javascript:alert(1)&quot;&gt;x&lt;/a&gt;'
    )
    assert.notInclude(call.payload.text, '<a ')
    assert.match(call.payload.text, /^🟠 <b>HIGH · Depeg<\/b>\n/)

    const row = await alertRow(id)
    assert.equal(row.status, 'sent')
    assert.isNotNull(row.sent_at)
    assert.equal(row.attempts, 1)
    assert.isNull(row.claimed_until)
    assert.deepEqual(await eventsOf(id), ['alert.sent'])
  })

  test('a long message is cut to 4,096 characters without breaking an entity', async ({
    assert,
  }) => {
    const user = await UserFactory.apply('telegramLinked').create()
    await pendingAlert(user.id, 'telegram', { message: '&'.repeat(5000) })
    await drainChannel('telegram')
    const text: string = telegram.sent(user.telegramChatId!)[0].payload.text
    assert.isAtMost(text.length, TELEGRAM_MESSAGE_LIMIT)
    assert.isAbove(text.length, TELEGRAM_MESSAGE_LIMIT - 10)
    assert.match(text, /(&amp;)+…$/)
  })

  test('429 waits retry_after and tries again, without counting as an attempt', async ({
    assert,
  }) => {
    const user = await UserFactory.apply('telegramLinked').create()
    const chat = user.telegramChatId!
    telegram.answer(chat, { status: 429, retryAfter: 1 })
    const id = await pendingAlert(user.id, 'telegram')

    const first = await drainChannel('telegram')
    assert.include(first, { sent: 0, retried: 1 })
    let row = await alertRow(id)
    assert.equal(row.status, 'pending')
    assert.equal(row.attempts, 0, 'a 429 is not a failed attempt')
    assert.match(row.last_error, /429/)
    const wait = new Date(row.deliver_after).getTime() - Date.now()
    assert.isAbove(wait, 500, 'held for retry_after')

    // Before retry_after: nothing is due, nothing is sent.
    await drainChannel('telegram')
    assert.lengthOf(telegram.sent(chat), 1)

    await new Promise((resolve) => setTimeout(resolve, wait + 50))
    const second = await drainChannel('telegram')
    assert.equal(second.sent, 1)
    row = await alertRow(id)
    assert.equal(row.status, 'sent')
    assert.equal(row.attempts, 1)
    assert.lengthOf(telegram.sent(chat), 2)
  })

  test('a sender held past its lease by a bot-wide 429 does not send what another sender took', async ({
    assert,
  }) => {
    const lease = delivery.leaseMs
    delivery.leaseMs = 1_500
    try {
      const user = await UserFactory.apply('telegramLinked').create()
      const chat = user.telegramChatId!
      const id = await pendingAlert(user.id, 'telegram')
      // another worker got a 429: the whole bot waits 3 s, longer than the 1.5 s lease
      await holdBack('tg:bot', new Date(Date.now() + 3_000))
      const first = drainChannel('telegram')
      // the lease ran out: the sweeper's next drain takes the channel and the alert
      await new Promise((resolve) => setTimeout(resolve, 2_000))
      const second = drainChannel('telegram')
      const results = await Promise.all([first, second])

      // one call: a second one would reach Telegram (here it broke the chat limit and got a 429)
      assert.lengthOf(telegram.sent(chat), 1, 'sent once, not by both senders')
      assert.equal(telegram.limitViolations, 0)
      assert.equal(results[0].sent + results[1].sent, 1)
      const row = await alertRow(id)
      assert.equal(row.status, 'sent')
      assert.deepEqual(await eventsOf(id), ['alert.sent'])
    } finally {
      delivery.leaseMs = lease
    }
  }).timeout(20_000)

  test('403 (bot blocked) fails at once, unlinks the chat, records alert.failed and telegram.unlinked', async ({
    assert,
  }) => {
    const user = await UserFactory.apply('telegramLinked').create()
    telegram.answer(user.telegramChatId!, {
      status: 403,
      description: 'Forbidden: bot was blocked by the user',
    })
    const id = await pendingAlert(user.id, 'telegram')
    const other = await pendingAlert(user.id, 'telegram', { message: 'second' })

    await drainChannel('telegram')
    const row = await alertRow(id)
    assert.equal(row.status, 'failed')
    assert.equal(row.attempts, 1)
    assert.include(row.last_error, 'bot was blocked')
    assert.deepEqual(await eventsOf(id), ['alert.failed'])
    const fresh = await db.from('users').where('id', user.id).first()
    assert.isNull(fresh.telegram_chat_id)
    assert.deepEqual(
      (await db.from('event_store').where('aggregate_id', user.id)).map((e) => [
        e.event_type,
        e.payload.reason,
      ]),
      [['telegram.unlinked', 'blocked']]
    )
    // The other alert of the chat is not sent to a chat we no longer have.
    const second = await alertRow(other)
    assert.equal(second.status, 'failed')
    assert.lengthOf(telegram.sent(), 1)
  })

  test('a chat Telegram no longer knows is unlinked; a group that became a supergroup is followed', async ({
    assert,
  }) => {
    const gone = await UserFactory.apply('telegramLinked').create()
    telegram.answer(gone.telegramChatId!, {
      status: 400,
      description: 'Bad Request: chat not found',
    })
    const lost = await pendingAlert(gone.id, 'telegram')
    const next = await pendingAlert(gone.id, 'telegram', { message: 'second' })

    const moved = await UserFactory.apply('telegramLinked').create()
    telegram.answer(moved.telegramChatId!, {
      status: 400,
      description: 'Bad Request: group chat was upgraded to a supergroup chat',
      parameters: { migrate_to_chat_id: -1001234567890 },
    })
    const followed = await pendingAlert(moved.id, 'telegram')

    await drainChannel('telegram')
    assert.equal((await alertRow(lost)).status, 'failed')
    assert.equal((await alertRow(next)).status, 'failed', 'not sent to a chat that is gone')
    assert.isNull((await db.from('users').where('id', gone.id).first()).telegram_chat_id)
    assert.deepEqual(
      (await db.from('event_store').where('aggregate_id', gone.id)).map((e) => e.payload.reason),
      ['chat_not_found']
    )

    assert.equal(
      (await db.from('users').where('id', moved.id).first()).telegram_chat_id,
      '-1001234567890'
    )
    assert.isTrue(
      await waitUntil(
        async () => {
          await drainChannel('telegram')
          return (await alertRow(followed)).status === 'sent'
        },
        5000,
        20
      )
    )
    assert.lengthOf(telegram.sent('-1001234567890'), 1)
  })

  test('a group moved to a supergroup another user already linked: unlinked, not retried forever', async ({
    assert,
  }) => {
    const holder = await UserFactory.apply('telegramLinked').create()
    const moved = await UserFactory.apply('telegramLinked').create()
    telegram.answer(moved.telegramChatId!, {
      status: 400,
      description: 'Bad Request: group chat was upgraded to a supergroup chat',
      parameters: { migrate_to_chat_id: Number(holder.telegramChatId) },
    })
    const id = await pendingAlert(moved.id, 'telegram')
    assert.isTrue(
      await waitUntil(
        async () => {
          await drainChannel('telegram')
          return (await alertRow(id)).status === 'failed'
        },
        5000,
        20
      )
    )
    assert.isNull((await db.from('users').where('id', moved.id).first()).telegram_chat_id)
    assert.equal(
      (await db.from('users').where('id', holder.id).first()).telegram_chat_id,
      holder.telegramChatId
    )
    assert.lengthOf(telegram.sent(holder.telegramChatId!), 0)
  })

  test('5xx backs off and retries, then fails with last_error after the attempt limit', async ({
    assert,
  }) => {
    const user = await UserFactory.apply('telegramLinked').create()
    const chat = user.telegramChatId!
    telegram.answer(chat, { status: 500 }, { status: 502 }, { status: 500 })
    const id = await pendingAlert(user.id, 'telegram')

    assert.isTrue(
      await waitUntil(
        async () => {
          await drainChannel('telegram')
          return (await alertRow(id)).status !== 'pending'
        },
        10_000,
        20
      )
    )
    const row = await alertRow(id)
    assert.equal(row.status, 'failed')
    assert.equal(row.attempts, delivery.retry.maxAttempts)
    assert.match(row.last_error, /Telegram 500.*gave up after 3 attempts/)
    assert.lengthOf(telegram.sent(chat), 3)
    assert.deepEqual(await eventsOf(id), ['alert.failed'])
    // Backoff: the attempts were spread out, not fired back to back.
    const times = telegram.sent(chat).map((c) => c.at)
    assert.isAtLeast(times[2] - times[0], 2 * (delivery.retry.baseDelayMs / 2))
  })

  test('a 5xx that clears is delivered on a later attempt', async ({ assert }) => {
    const user = await UserFactory.apply('telegramLinked').create()
    telegram.answer(user.telegramChatId!, { status: 502 })
    const id = await pendingAlert(user.id, 'telegram')
    assert.isTrue(
      await waitUntil(
        async () => {
          await drainChannel('telegram')
          return (await alertRow(id)).status === 'sent'
        },
        10_000,
        20
      )
    )
    const row = await alertRow(id)
    assert.equal(row.attempts, 2)
    assert.isNull(row.last_error)
    assert.deepEqual(await eventsOf(id), ['alert.sent'])
  })

  test('a network error is retried like a 5xx', async ({ assert }) => {
    const user = await UserFactory.apply('telegramLinked').create()
    const id = await pendingAlert(user.id, 'telegram')
    delivery.telegram.apiRoot = 'http://127.0.0.1:9'
    try {
      await drainChannel('telegram')
    } finally {
      delivery.telegram.apiRoot = telegram.url
    }
    const row = await alertRow(id)
    assert.equal(row.status, 'pending')
    assert.equal(row.attempts, 1)
    assert.match(row.last_error, /network/i)
  })

  test('one chat gets at most one message per second; other chats are not held up', async ({
    assert,
  }) => {
    const busy = await UserFactory.apply('telegramLinked').create()
    const others = await UserFactory.apply('telegramLinked').createMany(5)
    for (let i = 0; i < 3; i++) await pendingAlert(busy.id, 'telegram', { message: `busy ${i}` })
    for (const u of others) await pendingAlert(u.id, 'telegram')

    const started = Date.now()
    const result = await drainChannel('telegram')
    assert.equal(result.sent, 8)
    assert.equal(telegram.limitViolations, 0, 'the fake server never had to refuse us')

    const busyTimes = telegram.sent(busy.telegramChatId!).map((c) => c.at)
    assert.lengthOf(busyTimes, 3)
    for (let i = 1; i < busyTimes.length; i++) {
      assert.isAtLeast(busyTimes[i] - busyTimes[i - 1], telegram.chatGapMs)
    }
    for (const u of others) {
      assert.isBelow(
        telegram.sent(u.telegramChatId!)[0].at - started,
        1000,
        'not queued behind the busy chat'
      )
    }
  })

  test('critical alerts are sent before older non-critical ones', async ({ assert }) => {
    const users = await UserFactory.apply('telegramLinked').createMany(3)
    await pendingAlert(users[0].id, 'telegram', { severity: 'low', message: 'low' })
    // ids are UUIDv7: time-ordered to the millisecond, random within one
    await new Promise((resolve) => setTimeout(resolve, 3))
    await pendingAlert(users[1].id, 'telegram', { severity: 'medium', message: 'medium' })
    await new Promise((resolve) => setTimeout(resolve, 3))
    await pendingAlert(users[2].id, 'telegram', { severity: 'critical', message: 'critical' })
    delivery.lanes = { ...delivery.lanes, telegram: 1 } as typeof delivery.lanes
    try {
      await drainChannel('telegram')
    } finally {
      delivery.lanes = { ...delivery.lanes, telegram: 32 } as typeof delivery.lanes
    }
    assert.deepEqual(
      telegram.sent().map((c) => String(c.payload.text).split('\n')[1]),
      ['critical', 'low', 'medium']
    )
  })

  test('quiet hours: an alert held until later is not sent before its time', async ({ assert }) => {
    const user = await UserFactory.apply('telegramLinked').create()
    const later = new Date(Date.now() + 60 * 60_000).toISOString()
    const id = await pendingAlert(user.id, 'telegram', { deliverAfter: later })
    const result = await drainChannel('telegram')
    assert.equal(result.sent, 0)
    assert.lengthOf(telegram.sent(), 0)
    assert.equal((await alertRow(id)).status, 'pending')
  })

  test('an acknowledged alert is not pushed any more', async ({ assert }) => {
    const user = await UserFactory.apply('telegramLinked').create()
    const id = await pendingAlert(user.id, 'telegram')
    await db.from('alerts').where('id', id).update({ status: 'acknowledged' })
    await drainChannel('telegram')
    assert.lengthOf(telegram.sent(), 0)
  })

  test('only one drainer per channel at a time; the other leaves the work to it', async ({
    assert,
  }) => {
    const users = await UserFactory.apply('telegramLinked').createMany(4)
    for (const u of users) await pendingAlert(u.id, 'telegram')
    const [a, b] = await Promise.all([drainChannel('telegram'), drainChannel('telegram')])
    assert.sameMembers([a.drained, b.drained], [true, false])
    assert.equal(a.sent + b.sent, 4)
    assert.lengthOf(telegram.sent(), 4)
  })
})
