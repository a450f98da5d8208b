import type { ApiClient as JapaClient } from '@japa/api-client'
import type { PrivateKeyAccount } from 'viem/accounts'
import { fetchNonce, siweMessage } from '#tests/helpers/auth'

/** A real proof: a SIWE message with a fresh nonce, signed by `account`. */
export async function proof(client: JapaClient, account: PrivateKeyAccount) {
  const nonce = await fetchNonce(client)
  const message = siweMessage(account, nonce, { statement: 'Add this wallet to DeFi Assistant' })
  const signature = await account.signMessage({ message })
  return { message, signature, nonce }
}

export async function addProven(
  client: JapaClient,
  token: string,
  account: PrivateKeyAccount,
  label?: string
) {
  const { message, signature } = await proof(client, account)
  return client
    .post('/api/v1/me/wallets')
    .bearerToken(token)
    .json({ kind: 'proven', message, signature, ...(label ? { label } : {}) })
}

export function addWatched(client: JapaClient, token: string, address: string, label?: string) {
  return client
    .post('/api/v1/me/wallets')
    .bearerToken(token)
    .json({ kind: 'watched', address, ...(label ? { label } : {}) })
}
