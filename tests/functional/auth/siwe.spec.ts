import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { fetchNonce, newAccount, siweMessage, signIn } from '#tests/helpers/auth'
import { truncateAll } from '#tests/helpers/database'

test.group('Auth | nonce', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('issues a stored, single-use nonce of 16+ alphanumerics expiring in 10 minutes', async ({
    client,
    assert,
  }) => {
    const response = await client.get('/api/v1/auth/nonce')
    response.assertStatus(200)
    const { nonce, expiresAt } = response.body()
    assert.match(nonce, /^[A-Za-z0-9]{16,}$/)
    const ttl = new Date(expiresAt).getTime() - Date.now()
    assert.isAbove(ttl, 9 * 60 * 1000)
    assert.isAtMost(ttl, 10 * 60 * 1000)
    const row = await db.from('siwe_nonces').where('nonce', nonce).firstOrFail()
    assert.isNull(row.used_at)
    assert.notEqual(nonce, await fetchNonce(client))
  })
})

test.group('Auth | sign-in with Ethereum', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('first sign-in creates the user (lower-case wallet), records user.registered, returns a token', async ({
    client,
    assert,
  }) => {
    const account = newAccount()
    const nonce = await fetchNonce(client)
    const message = siweMessage(account, nonce)
    const signature = await account.signMessage({ message })
    const response = await client.post('/api/v1/auth/siwe').json({ message, signature })

    response.assertStatus(200)
    const body = response.body()
    assert.equal(body.token.type, 'bearer')
    assert.match(body.token.value, /^usr_/)
    assert.isAbove(new Date(body.token.expiresAt).getTime(), Date.now() + 6 * 24 * 3600 * 1000)
    assert.equal(body.user.walletAddress, account.address.toLowerCase())
    assert.equal(body.user.preferences.riskProfile, 'moderate')
    assert.notProperty(body.user, 'telegramChatId')

    const events = await db
      .from('event_store')
      .where({ aggregate_type: 'user', aggregate_id: body.user.id })
      .select('event_type', 'version', 'payload')
    assert.deepEqual(events, [
      {
        event_type: 'user.registered',
        version: 1,
        payload: { walletAddress: account.address.toLowerCase(), chainId: 1, via: 'siwe' },
      },
    ])

    const me = await client.get('/api/v1/me').bearerToken(body.token.value)
    me.assertStatus(200)
    assert.equal(me.body().data.id, body.user.id)
  })

  test('a second sign-in reuses the user and records nothing new', async ({ client, assert }) => {
    const account = newAccount()
    const first = await signIn(client, account)
    const second = await signIn(client, account)
    assert.equal(first.user.id, second.user.id)
    assert.notEqual(first.token, second.token)
    const { rows } = await db.rawQuery(
      `select count(*)::int as n from event_store where aggregate_id = ?`,
      [first.user.id]
    )
    assert.equal(rows[0].n, 1)
  })

  test('each rejection has its own code and status 401', async ({ client, assert }) => {
    const account = newAccount()
    const cases: [string, (nonce: string) => Promise<{ message: string; signature: string }>][] = [
      [
        'E_SIWE_DOMAIN',
        async (nonce) => {
          const message = siweMessage(account, nonce, { domain: 'evil.example' })
          return { message, signature: await account.signMessage({ message }) }
        },
      ],
      [
        'E_SIWE_URI',
        async (nonce) => {
          const message = siweMessage(account, nonce, { uri: 'https://evil.example/login' })
          return { message, signature: await account.signMessage({ message }) }
        },
      ],
      [
        'E_SIWE_CHAIN',
        async (nonce) => {
          const message = siweMessage(account, nonce, { chainId: 56 })
          return { message, signature: await account.signMessage({ message }) }
        },
      ],
      [
        'E_SIWE_EXPIRED',
        async (nonce) => {
          const message = siweMessage(account, nonce, {
            expirationTime: new Date(Date.now() - 1000),
          })
          return { message, signature: await account.signMessage({ message }) }
        },
      ],
      [
        'E_SIWE_NOT_YET_VALID',
        async (nonce) => {
          const message = siweMessage(account, nonce, {
            notBefore: new Date(Date.now() + 3600_000),
          })
          return { message, signature: await account.signMessage({ message }) }
        },
      ],
      [
        'E_SIWE_ISSUED_AT',
        async (nonce) => {
          const message = siweMessage(account, nonce, { issuedAt: new Date(Date.now() - 3600_000) })
          return { message, signature: await account.signMessage({ message }) }
        },
      ],
      [
        'E_SIWE_SIGNATURE',
        async (nonce) => {
          const message = siweMessage(account, nonce)
          // signed by someone else
          return { message, signature: await newAccount().signMessage({ message }) }
        },
      ],
      [
        'E_SIWE_SIGNATURE',
        async (nonce) => {
          // the signature of a different text
          const message = siweMessage(account, nonce)
          return { message, signature: await account.signMessage({ message: message + ' ' }) }
        },
      ],
      [
        'E_SIWE_NONCE',
        async () => {
          const message = siweMessage(account, 'NeverIssuedByUs1234')
          return { message, signature: await account.signMessage({ message }) }
        },
      ],
      [
        'E_SIWE_CONTRACT_WALLET_UNSUPPORTED',
        async (nonce) => {
          const message = siweMessage(account, nonce)
          return { message, signature: '0x' + 'ab'.repeat(200) }
        },
      ],
      [
        // an expired Expiration Time without its offset: viem reads an Invalid Date,
        // which no comparison rejects
        'E_SIWE_MALFORMED',
        async (nonce) => {
          const message = siweMessage(account, nonce, {
            expirationTime: new Date(Date.now() - 1000),
          }).replace(/(Expiration Time: [^\n]+)Z/, '$1')
          return { message, signature: await account.signMessage({ message }) }
        },
      ],
      [
        // an expired Expiration Time after Request ID, out of EIP-4361's order: viem skips it
        'E_SIWE_MALFORMED',
        async (nonce) => {
          const message = `${siweMessage(account, nonce, { requestId: 'r1' })}\nExpiration Time: ${new Date(Date.now() - 1000).toISOString()}`
          return { message, signature: await account.signMessage({ message }) }
        },
      ],
      [
        'E_SIWE_MALFORMED',
        async () => ({ message: 'hello, sign me in', signature: '0x' + 'ab'.repeat(65) }),
      ],
    ]

    for (const [code, make] of cases) {
      const body = await make(await fetchNonce(client))
      const response = await client.post('/api/v1/auth/siwe').json(body)
      assert.equal(response.status(), 401, code)
      assert.equal(response.body().errors[0].code, code)
      assert.isString(response.body().errors[0].message)
    }
    const users = await db.from('users').count('* as n')
    assert.equal(Number(users[0].n), 0, 'no rejected sign-in created a user')
  })

  test('an expired nonce is refused', async ({ client, assert }) => {
    const account = newAccount()
    const nonce = await fetchNonce(client)
    await db
      .from('siwe_nonces')
      .where('nonce', nonce)
      .update({ expires_at: new Date(Date.now() - 1000) })
    const message = siweMessage(account, nonce)
    const response = await client
      .post('/api/v1/auth/siwe')
      .json({ message, signature: await account.signMessage({ message }) })
    response.assertStatus(401)
    assert.equal(response.body().errors[0].code, 'E_SIWE_NONCE')
  })

  test('replaying a used message is refused', async ({ client, assert }) => {
    const account = newAccount()
    const nonce = await fetchNonce(client)
    const message = siweMessage(account, nonce)
    const signature = await account.signMessage({ message })
    ;(await client.post('/api/v1/auth/siwe').json({ message, signature })).assertStatus(200)
    const replay = await client.post('/api/v1/auth/siwe').json({ message, signature })
    replay.assertStatus(401)
    assert.equal(replay.body().errors[0].code, 'E_SIWE_NONCE')
  })

  test('a body without message or signature is a 422 naming each field', async ({
    client,
    assert,
  }) => {
    const response = await client.post('/api/v1/auth/siwe').json({ signature: 'nope' })
    response.assertStatus(422)
    assert.sameMembers(
      response.body().errors.map((e: { field: string }) => e.field),
      ['message', 'signature']
    )
    assert.isTrue(
      response.body().errors.every((e: { code: string }) => e.code === 'E_VALIDATION_ERROR')
    )
  })
})

test.group('Auth | concurrent use of one nonce (committed rows)', (group) => {
  group.each.teardown(() => truncateAll())

  test('two simultaneous sign-ins with the same signed message give exactly one token', async ({
    client,
    assert,
  }) => {
    const account = newAccount()
    const nonce = await fetchNonce(client)
    const message = siweMessage(account, nonce)
    const signature = await account.signMessage({ message })
    const responses = await Promise.all(
      Array.from({ length: 4 }, () => client.post('/api/v1/auth/siwe').json({ message, signature }))
    )
    const statuses = responses.map((r) => r.status()).sort()
    assert.deepEqual(statuses, [200, 401, 401, 401])
    const { rows } = await db.rawQuery(`select count(*)::int as n from auth_access_tokens`)
    assert.equal(rows[0].n, 1)
    const users = await db.rawQuery(`select count(*)::int as n from users`)
    assert.equal(users.rows[0].n, 1)
  })
})
