import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import siwe from '#config/siwe'
import { UserFactory } from '#factories/user_factory'
import { newAccount, signIn, siweMessage, fetchNonce, userToken } from '#tests/helpers/auth'
import { addProven, addWatched, proof } from './helpers.js'

const WATCHED = '0x1111111111111111111111111111111111111111'

async function walletEvents(userId: string) {
  return db
    .from('event_store')
    .where('aggregate_type', 'wallet')
    .whereRaw(`payload->>'userId' = ?`, [userId])
    .orderBy('position')
    .select('event_type', 'aggregate_id', 'payload', 'user_id')
}

test.group('Wallets | list', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('a new user lists their sign-in wallet, proven by sign-in, with no preferences', async ({
    client,
    assert,
  }) => {
    const { token, user } = await signIn(client)
    const response = await client.get('/api/v1/me/wallets').bearerToken(token)
    response.assertStatus(200)
    const [wallet] = response.body().data
    assert.lengthOf(response.body().data, 1)
    assert.deepEqual(response.body().meta, { nextCursor: null, count: 1, max: 20 })
    assert.containsSubset(wallet, {
      address: user.walletAddress,
      kind: 'proven',
      proof: 'sign_in',
      label: null,
      preferences: {},
      telegramLinked: false,
    })
    const one = await client.get(`/api/v1/me/wallets/${wallet.id}`).bearerToken(token)
    one.assertStatus(200)
    assert.deepEqual(one.body().data, wallet)
  })

  test('the sign-in wallet first, then by when they were added', async ({ client, assert }) => {
    const { token, user } = await signIn(client)
    await addWatched(client, token, '0x3333333333333333333333333333333333333333', 'C')
    await addWatched(client, token, '0x2222222222222222222222222222222222222222', 'B')
    await addProven(client, token, newAccount(), 'D')
    // an older row that is not the sign-in wallet still comes after it
    await db
      .from('user_wallets')
      .where({ user_id: user.id, address: user.walletAddress })
      .update({ created_at: new Date() })
    const response = await client.get('/api/v1/me/wallets').bearerToken(token)
    response.assertStatus(200)
    assert.deepEqual(
      response.body().data.map((w: any) => w.label),
      [null, 'C', 'B', 'D']
    )
    assert.equal(response.body().data[0].address, user.walletAddress)
    assert.equal(response.body().meta.count, 4)
  })

  test("another user's wallet, an unknown id and a malformed one are 404", async ({
    client,
    assert,
  }) => {
    const owner = await UserFactory.create()
    const { token } = await signIn(client)
    const theirs = await db.from('user_wallets').where('user_id', owner.id).firstOrFail()
    for (const id of [theirs.id, '0192f7a0-0000-7000-8000-000000000000', 'not-a-uuid']) {
      const response = await client.get(`/api/v1/me/wallets/${id}`).bearerToken(token)
      response.assertStatus(404)
      assert.include(['E_NOT_FOUND', 'E_ROUTE_NOT_FOUND'], response.body().errors[0].code)
      assert.notInclude(JSON.stringify(response.body()), owner.walletAddress)
    }
  })
})

test.group('Wallets | add a watched wallet', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('any address, mixed case taken and stored lower-case, recorded as wallet.added', async ({
    client,
    assert,
  }) => {
    const { token, user } = await signIn(client)
    const checksummed = newAccount().address
    const response = await addWatched(client, token, checksummed, 'Treasury')
    response.assertStatus(201)
    const body = response.body()
    assert.containsSubset(body.data, {
      address: checksummed.toLowerCase(),
      kind: 'watched',
      proof: null,
      label: 'Treasury',
      preferences: {},
      telegramLinked: false,
    })
    assert.deepEqual(body.meta, { upgraded: false })
    const row = await db.from('user_wallets').where('id', body.data.id).firstOrFail()
    assert.equal(row.user_id, user.id)
    assert.equal(row.address, checksummed.toLowerCase())

    assert.deepEqual(await walletEvents(user.id), [
      {
        event_type: 'wallet.added',
        aggregate_id: body.data.id,
        user_id: user.id,
        payload: {
          userId: user.id,
          address: checksummed.toLowerCase(),
          kind: 'watched',
          proof: null,
          label: 'Treasury',
        },
      },
    ])
  })

  test('a wallet another user proved may be watched; the same twice is 409 E_WALLET_EXISTS', async ({
    client,
    assert,
  }) => {
    const other = await UserFactory.create()
    const { token, user } = await signIn(client)
    const first = await addWatched(client, token, other.walletAddress)
    first.assertStatus(201)
    const again = await addWatched(
      client,
      token,
      other.walletAddress.toUpperCase().replace('0X', '0x')
    )
    again.assertStatus(409)
    assert.deepEqual(again.body().errors, [
      { code: 'E_WALLET_EXISTS', message: 'This wallet is already on your list', field: 'address' },
    ])
    // the sign-in wallet is on the list already too
    const own = await addWatched(client, token, user.walletAddress)
    own.assertStatus(409)
    assert.equal(own.body().errors[0].code, 'E_WALLET_EXISTS')
    assert.lengthOf(await db.from('user_wallets').where('user_id', user.id), 2)
  })

  test('body rules: the fields of one kind, a bad address, a label of 1..64', async ({
    client,
    assert,
  }) => {
    const { token } = await signIn(client)
    const cases: [Record<string, unknown>, { field: string; code: string }[]][] = [
      [{ kind: 'watched' }, [{ field: 'address', code: 'E_VALIDATION_ERROR' }]],
      [{ kind: 'watched', address: '0x123' }, [{ field: 'address', code: 'E_VALIDATION_ERROR' }]],
      [
        { kind: 'watched', address: WATCHED, signature: '0xabcd' },
        [{ field: 'signature', code: 'E_VALIDATION_ERROR' }],
      ],
      [
        { kind: 'proven', address: WATCHED },
        [
          { field: 'address', code: 'E_VALIDATION_ERROR' },
          { field: 'message', code: 'E_VALIDATION_ERROR' },
          { field: 'signature', code: 'E_VALIDATION_ERROR' },
        ],
      ],
      [{ kind: 'owned', address: WATCHED }, [{ field: 'kind', code: 'E_VALIDATION_ERROR' }]],
      [
        { kind: 'watched', address: WATCHED, label: '' },
        [{ field: 'label', code: 'E_VALIDATION_ERROR' }],
      ],
      [
        { kind: 'watched', address: WATCHED, label: 'x'.repeat(65) },
        [{ field: 'label', code: 'E_VALIDATION_ERROR' }],
      ],
      [
        { kind: 'watched', address: WATCHED, owner: 'me' },
        [{ field: 'owner', code: 'E_VALIDATION_ERROR' }],
      ],
    ]
    for (const [body, expected] of cases) {
      const response = await client.post('/api/v1/me/wallets').bearerToken(token).json(body)
      response.assertStatus(422)
      const errors = response.body().errors as { field: string; code: string; message: string }[]
      assert.deepEqual(
        errors.map(({ field, code }) => ({ field, code })),
        expected,
        JSON.stringify(body)
      )
      for (const e of errors) assert.isString(e.message)
    }
    assert.equal(
      await db
        .from('user_wallets')
        .where('address', WATCHED)
        .count('* as n')
        .first()
        .then((r) => Number(r.n)),
      0
    )
  })

  test('more than WALLETS_PER_USER_MAX wallets is 422 E_WALLET_LIMIT, and nothing is added', async ({
    client,
    assert,
  }) => {
    const { token, user } = await signIn(client)
    // the sign-in wallet and 19 more: 20, the default maximum
    await db.table('user_wallets').multiInsert(
      Array.from({ length: 19 }, (_, i) => ({
        user_id: user.id,
        address: `0x${(i + 1).toString(16).padStart(40, '0')}`,
        kind: 'watched',
      }))
    )
    const response = await addWatched(client, token, WATCHED)
    response.assertStatus(422)
    assert.deepEqual(response.body().errors, [
      {
        code: 'E_WALLET_LIMIT',
        message:
          'A user may list at most 20 wallets (proven and watched, the sign-in wallet included); remove one first',
      },
    ])
    const proven = await addProven(client, token, newAccount())
    proven.assertStatus(422)
    assert.equal(proven.body().errors[0].code, 'E_WALLET_LIMIT')
    assert.lengthOf(await db.from('user_wallets').where('user_id', user.id), 20)
  })
})

test.group('Wallets | add a proven wallet', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('a SIWE signature by the wallet proves it; the nonce is spent', async ({
    client,
    assert,
  }) => {
    const { token, user } = await signIn(client)
    const account = newAccount()
    const { message, signature, nonce } = await proof(client, account)
    const response = await client
      .post('/api/v1/me/wallets')
      .bearerToken(token)
      .json({ kind: 'proven', message, signature, label: 'Hardware' })
    response.assertStatus(201)
    assert.containsSubset(response.body().data, {
      address: account.address.toLowerCase(),
      kind: 'proven',
      proof: 'siwe',
      label: 'Hardware',
      preferences: {},
    })
    assert.deepEqual(response.body().meta, { upgraded: false })
    const used = await db.from('siwe_nonces').where('nonce', nonce).firstOrFail()
    assert.isNotNull(used.used_at)

    // the same message again: its nonce is spent
    const replay = await client
      .post('/api/v1/me/wallets')
      .bearerToken(token)
      .json({ kind: 'proven', message, signature })
    replay.assertStatus(422)
    assert.deepEqual(replay.body().errors, [
      {
        code: 'E_WALLET_PROOF_NONCE',
        message: 'The nonce is unknown, expired or already used; ask for a new one',
        field: 'message',
      },
    ])

    const events = await walletEvents(user.id)
    assert.deepEqual(
      events.map((e) => [e.event_type, e.payload.kind, e.payload.proof]),
      [['wallet.added', 'proven', 'siwe']]
    )
    assert.equal(events[0].payload.chainId, 1)
  })

  test('a signature by another key, or a message for another domain: 422, nonce unspent, nothing added', async ({
    client,
    assert,
  }) => {
    const { token, user } = await signIn(client)
    const account = newAccount()
    const nonce = await fetchNonce(client)
    const message = siweMessage(account, nonce)
    const forged = await newAccount().signMessage({ message })
    const response = await client
      .post('/api/v1/me/wallets')
      .bearerToken(token)
      .json({ kind: 'proven', message, signature: forged })
    response.assertStatus(422)
    assert.deepEqual(response.body().errors, [
      {
        code: 'E_WALLET_PROOF_SIGNATURE',
        message: 'The signature does not match the address',
        field: 'signature',
      },
    ])
    assert.isNull((await db.from('siwe_nonces').where('nonce', nonce).firstOrFail()).used_at)

    const elsewhere = siweMessage(account, nonce, { domain: 'evil.example' })
    const other = await client
      .post('/api/v1/me/wallets')
      .bearerToken(token)
      .json({
        kind: 'proven',
        message: elsewhere,
        signature: await account.signMessage({ message: elsewhere }),
      })
    other.assertStatus(422)
    assert.deepEqual(other.body().errors, [
      {
        code: 'E_WALLET_PROOF_DOMAIN',
        message: 'The message was made for another domain',
        field: 'message',
      },
    ])
    assert.lengthOf(await db.from('user_wallets').where('user_id', user.id), 1)
  })

  test('proving a watched wallet upgrades it: same id and label, proven, wallet.updated', async ({
    client,
    assert,
  }) => {
    const { token, user } = await signIn(client)
    const account = newAccount()
    const watched = await addWatched(client, token, account.address, 'Hot wallet')
    watched.assertStatus(201)
    const id = watched.body().data.id

    const response = await addProven(client, token, account)
    response.assertStatus(200)
    assert.containsSubset(response.body().data, {
      id,
      address: account.address.toLowerCase(),
      kind: 'proven',
      proof: 'siwe',
      label: 'Hot wallet',
    })
    assert.deepEqual(response.body().meta, { upgraded: true })
    const rows = await db.from('user_wallets').where('user_id', user.id).orderBy('created_at')
    assert.lengthOf(rows, 2)

    const events = await walletEvents(user.id)
    assert.deepEqual(
      events.map((e) => e.event_type),
      ['wallet.added', 'wallet.updated']
    )
    assert.deepEqual(events[1].payload, {
      userId: user.id,
      address: account.address.toLowerCase(),
      changes: { kind: { from: 'watched', to: 'proven' }, proof: { from: null, to: 'siwe' } },
    })

    // proven twice: 409
    const again = await addProven(client, token, account)
    again.assertStatus(409)
    assert.deepEqual(again.body().errors, [
      { code: 'E_WALLET_EXISTS', message: 'This wallet is already on your list', field: 'address' },
    ])
  })

  test('a wallet another account proved (a sign-in wallet or an added one) is 409 E_WALLET_TAKEN', async ({
    client,
    assert,
  }) => {
    const first = await signIn(client)
    const second = await signIn(client)
    const added = newAccount()
    ;(await addProven(client, first.token, added)).assertStatus(201)

    for (const account of [first.account, added]) {
      const response = await addProven(client, second.token, account)
      response.assertStatus(409)
      assert.deepEqual(response.body().errors, [
        {
          code: 'E_WALLET_TAKEN',
          message: 'This wallet is proven by another account',
          field: 'address',
        },
      ])
    }
    // watching it is fine
    ;(await addWatched(client, second.token, added.address)).assertStatus(201)
    const owners = await db
      .from('user_wallets')
      .where({ address: added.address.toLowerCase(), kind: 'proven' })
      .select('user_id')
    assert.deepEqual(owners, [{ user_id: first.user.id }])
  })

  test('signing in with a proven wallet that is not the sign-in wallet signs in as the same user', async ({
    client,
    assert,
  }) => {
    const { token, user } = await signIn(client)
    const second = newAccount()
    ;(await addProven(client, token, second)).assertStatus(201)

    const nonce = await fetchNonce(client)
    const message = siweMessage(second, nonce)
    const signature = await second.signMessage({ message })
    const response = await client.post('/api/v1/auth/siwe').json({ message, signature })
    response.assertStatus(200)
    assert.equal(response.body().user.id, user.id)
    assert.equal(response.body().user.walletAddress, user.walletAddress)
    const me = await client.get('/api/v1/me').bearerToken(response.body().token.value)
    me.assertStatus(200)
    assert.equal(me.body().data.id, user.id)
    // no second account was made for it
    assert.isNull(
      await db.from('users').where('wallet_address', second.address.toLowerCase()).first()
    )
  })

  test('a watched wallet does not sign in as its watcher: it is a new account', async ({
    client,
    assert,
  }) => {
    const watcher = await UserFactory.create()
    const token = await userToken(watcher)
    const account = newAccount()
    ;(await addWatched(client, token, account.address)).assertStatus(201)
    const { user } = await signIn(client, account)
    assert.notEqual(user.id, watcher.id)
  })
})

test.group('Wallets | add a contract wallet (EIP-1271)', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('without SIWE_RPC_URL: 422 E_WALLET_PROOF_CONTRACT_WALLET_UNSUPPORTED on signature', async ({
    client,
    assert,
  }) => {
    const { token } = await signIn(client)
    const { message } = await proof(client, newAccount())
    const response = await client
      .post('/api/v1/me/wallets')
      .bearerToken(token)
      .json({ kind: 'proven', message, signature: '0x' + 'ab'.repeat(200) })
    response.assertStatus(422)
    assert.deepEqual(response.body().errors, [
      {
        code: 'E_WALLET_PROOF_CONTRACT_WALLET_UNSUPPORTED',
        message:
          'Smart-contract wallet signatures (EIP-1271) cannot be verified: no RPC endpoint is configured',
        field: 'signature',
      },
    ])
  })

  test('through SIWE_RPC_URL: the chain says valid, the wallet is proven by eip1271', async ({
    client,
    assert,
    cleanup,
  }) => {
    // a JSON-RPC endpoint whose every eth_call answers "valid" (true), as a Safe would
    const calls: string[] = []
    const server = createServer((req, res) => {
      let raw = ''
      req.on('data', (chunk) => (raw += chunk))
      req.on('end', () => {
        const body = JSON.parse(raw)
        const answer = (r: { id: number; method: string }) => {
          calls.push(r.method)
          const result = r.method === 'eth_chainId' ? '0x1' : `0x${'0'.repeat(63)}1`
          return { jsonrpc: '2.0', id: r.id, result }
        }
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify(Array.isArray(body) ? body.map(answer) : answer(body)))
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const previous = siwe.rpcUrl
    siwe.rpcUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    cleanup(() => {
      siwe.rpcUrl = previous
      server.close()
    })

    const { token } = await signIn(client)
    const safe = newAccount() // stands for the contract's address
    const { message } = await proof(client, safe)
    const response = await client
      .post('/api/v1/me/wallets')
      .bearerToken(token)
      .json({ kind: 'proven', message, signature: '0x' + 'ab'.repeat(200), label: 'Safe' })
    response.assertStatus(201)
    assert.containsSubset(response.body().data, {
      address: safe.address.toLowerCase(),
      kind: 'proven',
      proof: 'eip1271',
      label: 'Safe',
    })
    assert.include(calls, 'eth_call')
  })
})
