import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { fetchNonce, newAccount, signIn, siweMessage } from '#tests/helpers/auth'
import { truncateAll } from '#tests/helpers/database'
import { addProven, addWatched, proof } from './helpers.js'

test.group('Wallets | concurrent adds', (group) => {
  // committed rows: each request's transaction must see the others' locks
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test("one user's concurrent adds are serialized: the limit holds", async ({ client, assert }) => {
    const { token, user } = await signIn(client)
    await db.table('user_wallets').multiInsert(
      Array.from({ length: 18 }, (_, i) => ({
        user_id: user.id,
        address: `0x${(i + 1).toString(16).padStart(40, '0')}`,
        kind: 'watched',
      }))
    )
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => addWatched(client, token, newAccount().address))
    )
    const statuses = responses.map((r) => r.status()).sort()
    assert.deepEqual(statuses, [201, 422, 422, 422, 422])
    for (const r of responses.filter((x) => x.status() === 422)) {
      assert.equal(r.body().errors[0].code, 'E_WALLET_LIMIT')
    }
    assert.lengthOf(await db.from('user_wallets').where('user_id', user.id), 20)
  })

  test('two users proving one wallet at once: one owns it, the other hears 409 E_WALLET_TAKEN', async ({
    client,
    assert,
  }) => {
    const [a, b] = [await signIn(client), await signIn(client)]
    const account = newAccount()
    const proofs = [await proof(client, account), await proof(client, account)]
    const responses = await Promise.all(
      [a, b].map((who, i) =>
        client
          .post('/api/v1/me/wallets')
          .bearerToken(who.token)
          .json({ kind: 'proven', message: proofs[i].message, signature: proofs[i].signature })
      )
    )
    assert.deepEqual(responses.map((r) => r.status()).sort(), [201, 409])
    const lost = responses.find((r) => r.status() === 409)!
    assert.deepEqual(lost.body().errors, [
      {
        code: 'E_WALLET_TAKEN',
        message: 'This wallet is proven by another account',
        field: 'address',
      },
    ])
    const owners = await db
      .from('user_wallets')
      .where({ address: account.address.toLowerCase() })
      .select('user_id', 'kind')
    assert.lengthOf(owners, 1)
    // the same wallet proven again by its owner: it is on the list
    const winner = responses[0].status() === 201 ? a : b
    const again = await addProven(client, winner.token, account)
    assert.equal(again.status(), 409)
    assert.equal(again.body().errors[0].code, 'E_WALLET_EXISTS')
  })
})

test.group('Wallets | sign-in racing a proof', (group) => {
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test('a first sign-in with a wallet another account is proving at that moment signs in as that account', async ({
    client,
    assert,
  }) => {
    const owner = await signIn(client)
    const account = newAccount()
    const nonce = await fetchNonce(client)
    const message = siweMessage(account, nonce)
    const signature = await account.signMessage({ message })

    // the proof's transaction, not yet committed when the sign-in inserts the new user
    const trx = await db.transaction()
    await trx.table('user_wallets').insert({
      user_id: owner.user.id,
      address: account.address.toLowerCase(),
      kind: 'proven',
      proof: 'siwe',
    })
    const signingIn = client.post('/api/v1/auth/siwe').json({ message, signature })
    const pending = signingIn.then((r) => r)
    // the sign-in's trigger insert now waits on the proof's unique key
    await new Promise((resolve) => setTimeout(resolve, 400))
    await trx.commit()

    const response = await pending
    response.assertStatus(200)
    assert.equal(response.body().user.id, owner.user.id)
    assert.isNull(
      await db.from('users').where('wallet_address', account.address.toLowerCase()).first()
    )
  })
})
