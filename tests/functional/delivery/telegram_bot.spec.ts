import { test } from '@japa/runner'
import { createHash } from 'node:crypto'
import type { ChildProcess } from 'node:child_process'
import db from '@adonisjs/lucid/services/db'
import { UserFactory } from '#factories/user_factory'
import { PositionFactory } from '#factories/position_factory'
import { truncateAll } from '#tests/helpers/database'
import { rawRequest } from '#tests/helpers/http'
import { userToken } from '#tests/helpers/auth'
import { FakeTelegram } from '#tests/helpers/fake_telegram'
import { waitUntil } from '#tests/helpers/alerts'
import { startWorker } from '#tests/helpers/worker'

const SECRET = process.env.TELEGRAM_WEBHOOK_SECRET!

let updateId = 1000
function update(chatId: number, text: string) {
  updateId++
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat:
        chatId < 0
          ? { id: chatId, type: 'group', title: 'Treasury ops' }
          : { id: chatId, type: 'private', first_name: 'Ada' },
      from: { id: 4242, is_bot: false, first_name: 'Ada' },
      text,
    },
  }
}

/*
 * End to end: Telegram's POST reaches our webhook, the update is handled by a
 * real worker process, the bot's replies go to a local Bot API server.
 */
test.group('Telegram | bot and linking, through the webhook', (group) => {
  const telegram = new FakeTelegram()
  let worker: ChildProcess

  group.setup(async () => {
    await telegram.start()
    await truncateAll()
    worker = startWorker({ TELEGRAM_API_ROOT: telegram.url })
    return async () => {
      worker.kill('SIGKILL')
      await telegram.stop()
      await truncateAll()
    }
  })
  group.each.setup(() => telegram.reset())

  const chatOf = async (userId: string) =>
    (await db.from('users').where('id', userId).first()).telegram_chat_id as string | null
  const repliesTo = (chat: number) => telegram.sent(String(chat)).map((c) => String(c.payload.text))
  const replied = (chat: number, count = 1) =>
    waitUntil(async () => repliesTo(chat).length >= count, 20_000)

  async function linkCode(client: any, user: any) {
    const response = await client
      .post('/api/v1/me/telegram/link')
      .bearerToken(await userToken(user))
    response.assertStatus(201)
    return response.body().data as { code: string; url: string; expiresAt: string }
  }

  test('a link code: single use, ≤ 64 chars of A-Za-z0-9_-, a t.me deep link, 15 minutes', async ({
    assert,
    client,
  }) => {
    const user = await UserFactory.create()
    const link = await linkCode(client, user)
    assert.match(link.code, /^[A-Za-z0-9_-]{16,64}$/)
    assert.equal(link.url, `https://t.me/defi_assistant_test_bot?start=${link.code}`)
    const minutes = (new Date(link.expiresAt).getTime() - Date.now()) / 60_000
    assert.approximately(minutes, 15, 0.5)
    const other = await linkCode(client, user)
    assert.notEqual(other.code, link.code)
  })

  test('a code is stored only as its hash; a new code replaces the user’s earlier ones', async ({
    assert,
    client,
  }) => {
    const user = await UserFactory.create()
    const first = await linkCode(client, user)
    const rows = await db.from('telegram_link_codes').where('user_id', user.id)
    assert.lengthOf(rows, 1)
    assert.notEqual(rows[0].code, first.code)
    assert.equal(rows[0].code, createHash('sha256').update(first.code).digest('hex'))

    const second = await linkCode(client, user)
    assert.lengthOf(await db.from('telegram_link_codes').where('user_id', user.id), 1)
    await client
      .post('/telegram/webhook')
      .header('X-Telegram-Bot-Api-Secret-Token', SECRET)
      .json(update(700_010, `/start ${first.code}`))
    assert.isTrue(await replied(700_010))
    assert.isNull(await chatOf(user.id), 'the replaced code links nothing')
    await client
      .post('/telegram/webhook')
      .header('X-Telegram-Bot-Api-Secret-Token', SECRET)
      .json(update(700_011, `/start ${second.code}`))
    assert.isTrue(await replied(700_011))
    assert.equal(await chatOf(user.id), '700011')
  })

  test('codes asked for at once (a double click) still leave one', async ({ assert }) => {
    const user = await UserFactory.create()
    const token = await userToken(user)
    const racing = await Promise.all(
      Array.from({ length: 6 }, () =>
        rawRequest('/api/v1/me/telegram/link', {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
        })
      )
    )
    assert.deepEqual(
      racing.map((r) => r.status),
      [201, 201, 201, 201, 201, 201]
    )
    assert.lengthOf(await db.from('telegram_link_codes').where('user_id', user.id), 1)
  })

  test('the webhook refuses a missing or wrong secret token with 401 and queues nothing', async ({
    assert,
    client,
  }) => {
    const before = await db.from('queue_jobs').count('* as n').first()
    for (const header of [undefined, 'wrong', `${SECRET}x`, SECRET.slice(0, -1)]) {
      const request = client.post('/telegram/webhook').json(update(1, '/status'))
      if (header !== undefined) request.header('X-Telegram-Bot-Api-Secret-Token', header)
      const response = await request
      response.assertStatus(401)
      assert.equal(response.body().errors[0].code, 'E_UNAUTHORIZED_ACCESS')
    }
    const after = await db.from('queue_jobs').count('* as n').first()
    assert.equal(Number(after.n), Number(before.n))
  })

  test('/start <code> links the chat, replies, records telegram.linked; /stop unlinks', async ({
    assert,
    client,
  }) => {
    const user = await UserFactory.create()
    const { code } = await linkCode(client, user)
    const chat = 700_001

    const started = Date.now()
    const response = await client
      .post('/telegram/webhook')
      .header('X-Telegram-Bot-Api-Secret-Token', SECRET)
      .json(update(chat, `/start ${code}`))
    response.assertStatus(200)
    assert.deepEqual(response.body(), { ok: true })
    assert.isBelow(Date.now() - started, 2000, 'answered without waiting for the bot work')

    assert.isTrue(await replied(chat))
    assert.equal(await chatOf(user.id), String(chat))
    assert.include(repliesTo(chat)[0], 'linked')
    const events = await db.from('event_store').where('aggregate_id', user.id).orderBy('version')
    assert.deepEqual(
      events.map((e) => e.event_type),
      ['telegram.linked']
    )
    assert.notInclude(JSON.stringify(events[0].payload), String(chat), 'no chat id in the event')

    await client
      .post('/telegram/webhook')
      .header('X-Telegram-Bot-Api-Secret-Token', SECRET)
      .json(update(chat, '/stop'))
    assert.isTrue(await replied(chat, 2))
    assert.isNull(await chatOf(user.id))
    assert.include(repliesTo(chat)[1], 'unlinked')
  })

  test('the code typed as a plain message links too (deep links fail on some phones)', async ({
    assert,
    client,
  }) => {
    const user = await UserFactory.create()
    const { code } = await linkCode(client, user)
    await client
      .post('/telegram/webhook')
      .header('X-Telegram-Bot-Api-Secret-Token', SECRET)
      .json(update(700_002, `  ${code} `))
    assert.isTrue(await replied(700_002))
    assert.equal(await chatOf(user.id), '700002')
  })

  test('an expired or reused code links nothing and says so', async ({ assert, client }) => {
    const user = await UserFactory.create()
    const expired = await linkCode(client, user)
    await db
      .from('telegram_link_codes')
      .where('code', createHash('sha256').update(expired.code).digest('hex'))
      .update({ expires_at: new Date(Date.now() - 1000) })
    await client
      .post('/telegram/webhook')
      .header('X-Telegram-Bot-Api-Secret-Token', SECRET)
      .json(update(700_003, `/start ${expired.code}`))
    assert.isTrue(await replied(700_003))
    assert.include(repliesTo(700_003)[0], 'invalid, expired or already used')
    assert.isNull(await chatOf(user.id))

    const fresh = await linkCode(client, user)
    await client
      .post('/telegram/webhook')
      .header('X-Telegram-Bot-Api-Secret-Token', SECRET)
      .json(update(700_004, `/start ${fresh.code}`))
    assert.isTrue(await replied(700_004))
    // Someone else replays the same code from another chat.
    await client
      .post('/telegram/webhook')
      .header('X-Telegram-Bot-Api-Secret-Token', SECRET)
      .json(update(700_005, `/start ${fresh.code}`))
    assert.isTrue(await replied(700_005))
    assert.include(repliesTo(700_005)[0], 'invalid, expired or already used')
    assert.equal(await chatOf(user.id), '700004', 'the first chat keeps the link')
  })

  test('/status replies with the latest health factor per position; anything else gets help', async ({
    assert,
  }) => {
    const user = await UserFactory.merge({ telegramChatId: '700006' }).create()
    await PositionFactory.merge({
      userId: user.id,
      walletAddress: user.walletAddress,
      protocol: 'aave_v3',
      chainId: 1,
      healthFactor: '1.234567',
    }).create()
    await PositionFactory.merge({
      userId: user.id,
      walletAddress: user.walletAddress,
      protocol: 'compound_v3',
      chainId: 8453,
      healthFactor: '2.5',
    }).create()

    await fetchWebhook(update(700_006, '/status'))
    assert.isTrue(await replied(700_006))
    const status = repliesTo(700_006)[0]
    assert.include(status, 'Aave v3 on Ethereum: HF <b>1.235</b>')
    assert.include(status, 'Compound v3 on Base: HF <b>2.500</b>')

    await fetchWebhook(update(700_006, 'what is this?'))
    assert.isTrue(await replied(700_006, 2))
    assert.include(repliesTo(700_006)[1], '/status')
  })

  test('a redelivered update (same update_id) is handled once', async ({ assert }) => {
    const body = update(700_007, '/help')
    await fetchWebhook(body)
    await fetchWebhook(body)
    assert.isTrue(await replied(700_007))
    await new Promise((resolve) => setTimeout(resolve, 1500))
    assert.lengthOf(repliesTo(700_007), 1)
  })

  test('DELETE /me/telegram unlinks (idempotent) and records telegram.unlinked once', async ({
    assert,
    client,
  }) => {
    const user = await UserFactory.merge({ telegramChatId: '700008' }).create()
    const token = await userToken(user)
    ;(await client.delete('/api/v1/me/telegram').bearerToken(token)).assertStatus(204)
    ;(await client.delete('/api/v1/me/telegram').bearerToken(token)).assertStatus(204)
    assert.isNull(await chatOf(user.id))
    const events = await db.from('event_store').where('aggregate_id', user.id)
    assert.deepEqual(
      events.map((e) => [e.event_type, e.payload.reason]),
      [['telegram.unlinked', 'user']]
    )
  })

  test('a wallet’s code links a group to that wallet’s alerts; /status shows that wallet, /stop unlinks it', async ({
    assert,
    client,
  }) => {
    const treasury = '0x' + '7e'.repeat(20)
    const user = await UserFactory.merge({ telegramChatId: '700020' }).create()
    const { rows } = await db.rawQuery(
      `insert into user_wallets (user_id, address, kind, label) values (?, ?, 'watched', 'Treasury')
       returning id`,
      [user.id, treasury]
    )
    const walletId: string = rows[0].id
    const token = await userToken(user)
    for (const [address, hf] of [
      [user.walletAddress, '1.111'],
      [treasury, '1.777'],
    ]) {
      await PositionFactory.merge({
        userId: user.id,
        walletAddress: address,
        protocol: 'aave_v3',
        chainId: 1,
        healthFactor: hf,
      }).create()
    }

    // the user's own code and the wallet's live side by side
    const own = await linkCode(client, user)
    const response = await client
      .post(`/api/v1/me/wallets/${walletId}/telegram/link`)
      .bearerToken(token)
    response.assertStatus(201)
    const { code, url } = response.body().data
    assert.match(code, /^[A-Za-z0-9_-]{32}$/)
    assert.equal(url, `https://t.me/defi_assistant_test_bot?start=${code}`)
    const codes = await db
      .from('telegram_link_codes')
      .where('user_id', user.id)
      .orderBy('wallet_id')
    assert.deepEqual(
      codes.map((c) => c.wallet_id),
      [walletId, null]
    )
    assert.notEqual(own.code, code)

    const groupChat = -1_001_700_021
    await fetchWebhook(update(groupChat, `/start@defi_assistant_test_bot ${code}`))
    assert.isTrue(await replied(groupChat))
    assert.include(repliesTo(groupChat)[0], 'linked to a wallet')
    const wallet = await db.from('user_wallets').where('id', walletId).firstOrFail()
    assert.equal(wallet.telegram_chat_id, String(groupChat))
    assert.equal(await chatOf(user.id), '700020', 'the user’s own chat is unchanged')
    const linked = await db
      .from('event_store')
      .where({ aggregate_id: user.id, event_type: 'telegram.linked' })
    assert.deepEqual(
      linked.map((e) => e.payload),
      [{ via: 'start', walletId, replacedChat: false }]
    )

    // the groupChat sees the treasury, not the user's other wallets
    await fetchWebhook(update(groupChat, '/status'))
    assert.isTrue(await replied(groupChat, 2))
    const status = repliesTo(groupChat)[1]
    assert.include(status, `<b>${treasury}</b>\n• Aave v3 on Ethereum: HF <b>1.777</b>`)
    assert.notInclude(status, '1.111')
    assert.notInclude(status, user.walletAddress)

    await fetchWebhook(update(groupChat, '/stop'))
    assert.isTrue(await replied(groupChat, 3))
    assert.include(repliesTo(groupChat)[2], 'unlinked')
    assert.isNull((await db.from('user_wallets').where('id', walletId).first()).telegram_chat_id)
    assert.equal(await chatOf(user.id), '700020')

    // the user's own code still links their own chat
    await fetchWebhook(update(700_022, `/start ${own.code}`))
    assert.isTrue(await replied(700_022))
    assert.equal(await chatOf(user.id), '700022')

    // GET /me: the user's link is theirs; the wallet's link and unlink did not touch it
    const me = await client.get('/api/v1/me').bearerToken(token)
    assert.isTrue(me.body().data.telegramLinked)
  }).timeout(60_000)

  test('a wallet that is not on the caller’s list: 404, no code', async ({ assert, client }) => {
    const user = await UserFactory.create()
    const token = await userToken(user)
    for (const [path, error] of [
      ['/api/v1/me/wallets/0192f7a0-0000-7000-8000-000000000000/telegram/link', 'E_NOT_FOUND'],
      // not an id at all: no such route, as for every :id
      ['/api/v1/me/wallets/not-a-uuid/telegram/link', 'E_ROUTE_NOT_FOUND'],
    ]) {
      const response = await client.post(path).bearerToken(token)
      response.assertStatus(404)
      assert.equal(response.body().errors[0].code, error)
    }
    const gone = await client
      .delete('/api/v1/me/wallets/0192f7a0-0000-7000-8000-000000000000/telegram')
      .bearerToken(token)
    gone.assertStatus(404)
    assert.lengthOf(await db.from('telegram_link_codes').where('user_id', user.id), 0)
  })
})

async function fetchWebhook(body: unknown) {
  const response = await fetch(`http://${process.env.HOST}:${process.env.PORT}/telegram/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
    body: JSON.stringify(body),
  })
  if (response.status !== 200) throw new Error(`webhook answered ${response.status}`)
}

test.group('Telegram | telegram:set-webhook', (group) => {
  const telegram = new FakeTelegram()
  group.setup(async () => {
    await telegram.start()
    const { default: delivery } = await import('#config/delivery')
    const original = delivery.telegram.apiRoot
    delivery.telegram.apiRoot = telegram.url
    return async () => {
      delivery.telegram.apiRoot = original
      await telegram.stop()
    }
  })

  test('registers the URL with the secret token', async ({ assert }) => {
    const { default: ace } = await import('@adonisjs/core/services/ace')
    const { default: TelegramSetWebhook } = await import('#commands/telegram_set_webhook')
    ace.ui.switchMode('raw')
    const command = await ace.create(TelegramSetWebhook, [
      'https://api.example.com/telegram/webhook',
    ])
    await command.exec()
    command.assertSucceeded()
    const call = telegram.calls.find((c) => c.method === 'setWebhook')
    assert.deepInclude(call?.payload, {
      url: 'https://api.example.com/telegram/webhook',
      secret_token: SECRET,
      allowed_updates: ['message'],
    })
  })
})
