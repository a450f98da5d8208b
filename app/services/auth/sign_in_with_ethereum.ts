import db from '@adonisjs/lucid/services/db'
import { createPublicClient, http, recoverMessageAddress, type Hex } from 'viem'
import siwe from '#config/siwe'
import {
  checkSiweMessage,
  looksLikeContractWalletSignature,
  type CheckedSiweMessage,
} from '#domain/auth/siwe'
import { DomainError } from '#domain/shared/errors'
import { User } from '#models'
import eventRecorder from '#services/events/event_recorder'
import { consumeNonce } from '#services/auth/nonces'
import { requestContext } from '#infrastructure/context/request_context'

export interface SignInResult {
  user: User
  token: { type: 'bearer'; value: string; expiresAt: Date | null }
  created: boolean
}

/**
 * Whether `signature` is `address`'s over `message`: an EOA's recovered
 * signature, or a contract wallet's (EIP-1271) through SIWE_RPC_URL.
 */
export async function verifySignature(
  message: string,
  signature: Hex,
  address: Hex
): Promise<void> {
  if (looksLikeContractWalletSignature(signature)) {
    if (!siwe.rpcUrl) {
      throw new DomainError(
        'E_SIWE_CONTRACT_WALLET_UNSUPPORTED',
        'Smart-contract wallet signatures (EIP-1271) cannot be verified: no RPC endpoint is configured'
      )
    }
    const client = createPublicClient({ transport: http(siwe.rpcUrl, { timeout: 5_000 }) })
    const valid = await client.verifyMessage({ address, message, signature }).catch(() => false)
    if (!valid)
      throw new DomainError('E_SIWE_SIGNATURE', 'The signature does not match the address')
    return
  }
  let recovered: string
  try {
    recovered = await recoverMessageAddress({ message, signature })
  } catch {
    throw new DomainError('E_SIWE_SIGNATURE', 'The signature is not valid')
  }
  if (recovered.toLowerCase() !== address.toLowerCase()) {
    throw new DomainError('E_SIWE_SIGNATURE', 'The signature does not match the address')
  }
}

/** What a signed message proves, once its text and signature are checked (not yet its nonce). */
export interface ProvenMessage {
  checked: CheckedSiweMessage
  /** Lower-case. */
  address: string
  /** How the wallet proved it: an EOA's signature, or a contract wallet's (EIP-1271). */
  proof: 'siwe' | 'eip1271'
}

/**
 * A signed EIP-4361 message checked as sign-in checks it: the text against this
 * deployment (domain, URI, chains, age), then the signature. The caller
 * consumes the nonce in its own transaction. Shared by sign-in and by adding
 * a proven wallet (app/services/users/wallets.ts).
 */
export async function checkSignedMessage(message: string, signature: Hex): Promise<ProvenMessage> {
  const checked = checkSiweMessage(message, {
    domain: siwe.domain,
    uri: siwe.uri,
    chainIds: siwe.chainIds,
    now: new Date(),
    maxAgeMs: siwe.maxMessageAgeMs,
  })
  await verifySignature(message, signature, checked.address)
  return {
    checked,
    address: checked.address.toLowerCase(),
    proof: looksLikeContractWalletSignature(signature) ? 'eip1271' : 'siwe',
  }
}

/**
 * EIP-4361 sign-in: the message is checked, the signature verified, then —
 * in one transaction — the nonce is consumed, the user created on first
 * sign-in (recording `user.registered`) and a token issued.
 */
export async function signInWithEthereum(message: string, signature: Hex): Promise<SignInResult> {
  const { checked, address: wallet } = await checkSignedMessage(message, signature)

  const signInOnce = () =>
    db.transaction(async (trx) => {
      if (!(await consumeNonce(trx, checked.nonce))) {
        throw new DomainError(
          'E_SIWE_NONCE',
          'The nonce is unknown, expired or already used; ask for a new one'
        )
      }
      // A wallet proven by a user signs in as that user, whichever of their wallets it
      // is; a wallet nobody proved is a new user, with it as their first wallet
      // (a trigger adds it to user_wallets).
      const inserted = await trx.rawQuery(
        `insert into users (wallet_address)
       select ? where not exists (select 1 from user_wallets where address = ? and kind = 'proven')
       on conflict (wallet_address) do nothing returning id`,
        [wallet, wallet]
      )
      const existing = await User.query({ client: trx })
        .whereIn('id', (q) =>
          q.from('user_wallets').select('user_id').where({ address: wallet, kind: 'proven' })
        )
        .firstOrFail()
      const isNew = inserted.rows.length === 1
      if (isNew) {
        const store = requestContext.getStore()
        if (store) store.actor = { type: 'user', id: existing.id }
        await eventRecorder.append(trx, {
          aggregateType: 'user',
          aggregateId: existing.id,
          eventType: 'user.registered',
          payload: { walletAddress: wallet, chainId: checked.chainId, via: 'siwe' },
        })
      }
      return { user: existing, created: isNew }
    })
  // A first sign-in racing another account's proof of this wallet (POST /me/wallets):
  // the new user's sign-in wallet meets the proof's unique key once the proof commits.
  // Run again (the nonce was not spent): the wallet is now that account's, and signs in as it.
  const { user, created } = await signInOnce().catch((error) => {
    const pg = error as { code?: string; constraint?: string }
    if (pg.code === '23505' && pg.constraint === 'user_wallets_proven_address_unique') {
      return signInOnce()
    }
    throw error
  })

  const token = await User.accessTokens.create(user, ['*'], { name: `siwe:${checked.chainId}` })
  return {
    user,
    created,
    token: { type: 'bearer', value: token.value!.release(), expiresAt: token.expiresAt },
  }
}
