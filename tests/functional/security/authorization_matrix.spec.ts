import { test } from '@japa/runner'
import router from '@adonisjs/core/services/router'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { DateTime } from 'luxon'
import { UserFactory } from '#factories/user_factory'
import { PositionFactory } from '#factories/position_factory'
import { User } from '#models'
import { serviceToken, userToken } from '#tests/helpers/auth'

type Access =
  | { who: 'public' }
  | { who: 'user'; owned?: 'position' | 'alert' | 'intent' | 'wallet' }
  | { who: 'any'; ability?: string }
  | { who: 'service'; ability: string }

/**
 * Every route the router knows, with who may call it. A route added without a
 * line here fails the first test: access rules are decided, not inherited.
 */
const ROUTES: Record<string, Access> = {
  'GET /health/live': { who: 'public' },
  'GET /health/ready': { who: 'public' },
  'GET /openapi.json': { who: 'public' },
  'GET /docs': { who: 'public' },
  'GET /docs/assets/scalar.js': { who: 'public' },
  'GET /': { who: 'public' }, // outside production only
  'POST /dev/demo-session': { who: 'public' }, // outside production only: tests/functional/contract/status_page.spec.ts
  'POST /telegram/webhook': { who: 'public' }, // its own secret header: tests/functional/delivery/telegram_bot.spec.ts
  'GET /api/v1/auth/nonce': { who: 'public' },
  'POST /api/v1/auth/siwe': { who: 'public' },
  'POST /api/v1/auth/logout': { who: 'user' },
  'GET /api/v1/me': { who: 'user' },
  'PATCH /api/v1/me': { who: 'user' },
  'GET /api/v1/me/wallets': { who: 'user' },
  'POST /api/v1/me/wallets': { who: 'user' },
  'GET /api/v1/me/wallets/:id': { who: 'user', owned: 'wallet' },
  'PATCH /api/v1/me/wallets/:id': { who: 'user', owned: 'wallet' },
  'DELETE /api/v1/me/wallets/:id': { who: 'user', owned: 'wallet' },
  'POST /api/v1/me/telegram/link': { who: 'user' },
  'DELETE /api/v1/me/telegram': { who: 'user' },
  'POST /api/v1/me/wallets/:id/telegram/link': { who: 'user', owned: 'wallet' },
  'DELETE /api/v1/me/wallets/:id/telegram': { who: 'user', owned: 'wallet' },
  'GET /api/v1/positions': { who: 'user' },
  'GET /api/v1/positions/history': { who: 'user' },
  'POST /api/v1/positions/simulate': { who: 'user' },
  'POST /api/v1/positions/snooze': { who: 'user' },
  'POST /api/v1/positions/sync': { who: 'user' },
  'GET /api/v1/positions/:id': { who: 'user', owned: 'position' },
  'GET /api/v1/alerts': { who: 'user' },
  'GET /api/v1/alerts/stream': { who: 'user' },
  'POST /api/v1/alerts/:id/acknowledge': { who: 'user', owned: 'alert' },
  'GET /api/v1/intents': { who: 'user' },
  'POST /api/v1/intents': { who: 'user' },
  'GET /api/v1/intents/:id': { who: 'user', owned: 'intent' },
  'PATCH /api/v1/intents/:id': { who: 'user', owned: 'intent' },
  'DELETE /api/v1/intents/:id': { who: 'user', owned: 'intent' },
  'GET /api/v1/intents/:id/executions': { who: 'user', owned: 'intent' },
  'GET /api/v1/events': { who: 'user' },
  'GET /api/v1/me/state': { who: 'user' },
  'POST /api/v1/positions': { who: 'any', ability: 'positions:write' },
  'GET /api/v1/signals': { who: 'any' },
  'GET /api/v1/signals/:id': { who: 'any' },
  'GET /api/v1/chains': { who: 'any' },
  'POST /api/v1/positions/batch': { who: 'service', ability: 'positions:write' },
  'POST /api/v1/signals': { who: 'service', ability: 'signals:write' },
  'POST /api/v1/signals/:id/acknowledge': { who: 'service', ability: 'signals:write' },
}

function registeredRoutes(): string[] {
  const keys: string[] = []
  for (const routes of Object.values(router.toJSON())) {
    for (const route of routes) {
      for (const method of route.methods)
        if (method !== 'HEAD') keys.push(`${method} ${route.pattern}`)
    }
  }
  return keys.sort()
}

const SOME_ID = '0192f7a0-0000-7000-8000-000000000000'

test.group('Security | authorization matrix, route by route', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('every registered route has a decided access rule', ({ assert }) => {
    assert.deepEqual(registeredRoutes(), Object.keys(ROUTES).sort())
  })

  test('no token, a garbage, expired or revoked token: 401 on every protected route', async ({
    assert,
    client,
  }) => {
    const user = await UserFactory.create()
    const expired = await User.accessTokens.create(user)
    await db
      .from('auth_access_tokens')
      .where('id', expired.identifier as string)
      .update({ expires_at: DateTime.utc().minus({ minutes: 1 }).toJSDate() })
    const revoked = await User.accessTokens.create(user)
    await User.accessTokens.delete(user, String(revoked.identifier))

    const tokens: [string, string | undefined][] = [
      ['none', undefined],
      ['garbage', 'usr_garbage.token'],
      ['expired', expired.value!.release()],
      ['revoked', revoked.value!.release()],
    ]
    for (const [key, access] of Object.entries(ROUTES)) {
      if (access.who === 'public') continue
      const [method, pattern] = key.split(' ')
      const path = pattern.replace(':id', SOME_ID)
      for (const [label, token] of tokens) {
        const request = client.request(path, method).json({})
        if (token) request.bearerToken(token)
        const response = await request
        assert.equal(response.status(), 401, `${key} with ${label} token`)
        assert.equal(response.body().errors[0].code, 'E_UNAUTHORIZED_ACCESS', `${key} ${label}`)
      }
    }
  })

  test('the wrong kind of caller: 401; a service without the ability: 403', async ({
    assert,
    client,
  }) => {
    const user = await UserFactory.create()
    const asUser = await userToken(user)
    const powerless = await serviceToken([])
    for (const [key, access] of Object.entries(ROUTES)) {
      const [method, pattern] = key.split(' ')
      const path = pattern.replace(':id', SOME_ID)
      if (access.who === 'user') {
        const response = await client.request(path, method).bearerToken(powerless).json({})
        assert.equal(response.status(), 401, `${key}: a service token on a user route`)
      }
      if (access.who === 'service') {
        const response = await client.request(path, method).bearerToken(asUser).json({})
        assert.equal(response.status(), 401, `${key}: a user token on a service route`)
      }
      if (
        (access.who === 'service' || access.who === 'any') &&
        'ability' in access &&
        access.ability
      ) {
        const response = await client.request(path, method).bearerToken(powerless).json({})
        assert.equal(response.status(), 403, `${key}: service without ${access.ability}`)
        assert.equal(response.body().errors[0].code, 'E_MISSING_ABILITY')
      }
    }
  })

  test("another user's resource: 404 on every owned route, and nothing changes", async ({
    assert,
    client,
  }) => {
    const owner = await UserFactory.create()
    const intruder = await userToken(await UserFactory.create())
    const position = await PositionFactory.merge({
      userId: owner.id,
      walletAddress: owner.walletAddress,
    }).create()
    const { rows: alert } = await db.rawQuery(
      `insert into alerts (user_id, type, severity, channel, message, status)
       values (?, 'depeg', 'high', 'in_app', 'x', 'sent') returning id`,
      [owner.id]
    )
    const { rows: intent } = await db.rawQuery(
      `insert into intents (user_id, protocol, chain_id, condition, action)
       values (?, 'aave_v3', 1, '{"metric":"health_factor","operator":"lt","value":"1.2"}',
               '{"type":"notify","asset":"USDC","amount":"1"}') returning id`,
      [owner.id]
    )
    // a wallet the owner watches (their sign-in wallet could not be removed anyway),
    // with a group chat linked to it
    const { rows: wallet } = await db.rawQuery(
      `insert into user_wallets (user_id, address, kind, telegram_chat_id)
       values (?, '0x00000000000000000000000000000000000000aa', 'watched', -100200300) returning id`,
      [owner.id]
    )
    const ids = {
      position: position.id,
      alert: alert[0].id,
      intent: intent[0].id,
      wallet: wallet[0].id,
    }
    const before = {
      alert: await db.from('alerts').where('id', ids.alert).first(),
      intent: await db.from('intents').where('id', ids.intent).first(),
      wallet: await db.from('user_wallets').where('id', ids.wallet).first(),
    }
    // a body each owned route takes, so the answer is about ownership, not the body
    const attempt = (owned: string) =>
      owned === 'wallet' ? { label: 'taken over' } : { name: 'taken over', status: 'paused' }

    let checked = 0
    for (const [key, access] of Object.entries(ROUTES)) {
      if (access.who !== 'user' || !access.owned) continue
      const [method, pattern] = key.split(' ')
      const response = await client
        .request(pattern.replace(':id', ids[access.owned]), method)
        .bearerToken(intruder)
        .json(attempt(access.owned))
      assert.equal(response.status(), 404, key)
      assert.equal(response.body().errors[0].code, 'E_NOT_FOUND', key)
      assert.notInclude(JSON.stringify(response.body()), owner.id, `${key} leaks nothing`)
      checked++
    }
    assert.equal(checked, 11)
    assert.deepEqual(await db.from('alerts').where('id', ids.alert).first(), before.alert)
    assert.deepEqual(await db.from('intents').where('id', ids.intent).first(), before.intent)
    assert.deepEqual(await db.from('user_wallets').where('id', ids.wallet).first(), before.wallet)
    assert.lengthOf(await db.from('telegram_link_codes'), 0, 'no link code for another’s wallet')
  })
})
