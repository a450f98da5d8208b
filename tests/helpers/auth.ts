import type { ApiClient as JapaClient } from '@japa/api-client'
import { createSiweMessage } from 'viem/siwe'
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import siwe from '#config/siwe'
import { ApiClient, User } from '#models'

export function newAccount(): PrivateKeyAccount {
  return privateKeyToAccount(generatePrivateKey())
}

/** A real EIP-4361 message for this deployment, with overrides for the negative cases. */
export function siweMessage(
  account: PrivateKeyAccount,
  nonce: string,
  overrides: Partial<Parameters<typeof createSiweMessage>[0]> = {}
) {
  return createSiweMessage({
    address: account.address,
    chainId: siwe.chainIds[0],
    domain: siwe.domain,
    nonce,
    uri: siwe.uri,
    version: '1',
    issuedAt: new Date(),
    statement: 'Sign in to DeFi Assistant',
    ...overrides,
  })
}

export async function fetchNonce(client: JapaClient): Promise<string> {
  const response = await client.get('/api/v1/auth/nonce')
  response.assertStatus(200)
  return response.body().nonce
}

/** Signs in through the real HTTP flow; returns the bearer token and the user. */
export async function signIn(client: JapaClient, account = newAccount()) {
  const nonce = await fetchNonce(client)
  const message = siweMessage(account, nonce)
  const signature = await account.signMessage({ message })
  const response = await client.post('/api/v1/auth/siwe').json({ message, signature })
  response.assertStatus(200)
  const user = await User.findByOrFail('wallet_address', account.address.toLowerCase())
  return { token: response.body().token.value as string, user, account }
}

/** A user token without the SIWE round trip, for tests about other things. */
export async function userToken(user: User): Promise<string> {
  const token = await User.accessTokens.create(user)
  return token.value!.release()
}

export async function serviceToken(
  abilities: string[],
  name = `svc-${Math.random().toString(36).slice(2, 10)}`
) {
  const client = await ApiClient.firstOrCreate({ name }, { name })
  const token = await ApiClient.accessTokens.create(client, abilities)
  return token.value!.release()
}
