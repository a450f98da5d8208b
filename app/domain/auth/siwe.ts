import { parseSiweMessage } from 'viem/siwe'
import type { SiweMessage } from 'viem/siwe'
import { DomainError } from '#domain/shared/errors'

export interface SiweExpectations {
  domain: string
  uri: string
  chainIds: number[]
  now: Date
  /** How old `issuedAt` may be; also how far in the future it may be (clock skew). */
  maxAgeMs: number
}

export type CheckedSiweMessage = Required<
  Pick<SiweMessage, 'address' | 'chainId' | 'domain' | 'nonce' | 'uri' | 'issuedAt'>
> &
  SiweMessage

const CLOCK_SKEW_MS = 60_000

function reject(code: `E_SIWE_${string}`, message: string): never {
  throw new DomainError(code, message)
}

/**
 * Checks an EIP-4361 message against what this deployment accepts. The nonce
 * and the signature are checked by the caller (they need storage and crypto);
 * everything that can be decided from the text alone is decided here, each
 * failure with its own code.
 */
export function checkSiweMessage(text: string, expected: SiweExpectations): CheckedSiweMessage {
  const m = parseSiweMessage(text)
  if (
    !m.domain ||
    !m.address ||
    !m.uri ||
    !m.nonce ||
    m.version !== '1' ||
    m.chainId === undefined ||
    !m.issuedAt
  ) {
    reject(
      'E_SIWE_MALFORMED',
      'The message is not a valid Sign-In with Ethereum (EIP-4361) message'
    )
  }
  if (Number.isNaN(m.issuedAt.getTime()))
    reject('E_SIWE_MALFORMED', 'The message has an invalid Issued At time')
  // viem's parser gives an Invalid Date for a time it cannot read, and skips a
  // field out of EIP-4361's order: either way the check below would be skipped
  // and a message the user signed as expiring would never expire
  for (const [field, value] of [
    ['Expiration Time', m.expirationTime],
    ['Not Before', m.notBefore],
  ] as const) {
    const present = text.includes(`\n${field}: `)
    if (present !== (value !== undefined) || (value && Number.isNaN(value.getTime()))) {
      reject('E_SIWE_MALFORMED', `The message has an invalid or misplaced ${field}`)
    }
  }

  if (m.domain !== expected.domain)
    reject('E_SIWE_DOMAIN', 'The message was made for another domain')
  if (!uriMatches(m.uri, expected.uri)) reject('E_SIWE_URI', 'The message was made for another URI')
  if (!expected.chainIds.includes(m.chainId))
    reject('E_SIWE_CHAIN', `Chain ${m.chainId} is not accepted for sign-in`)

  const now = expected.now.getTime()
  if (m.expirationTime && m.expirationTime.getTime() <= now)
    reject('E_SIWE_EXPIRED', 'The message has expired')
  if (m.notBefore && m.notBefore.getTime() > now + CLOCK_SKEW_MS) {
    reject('E_SIWE_NOT_YET_VALID', 'The message is not valid yet')
  }
  const age = now - m.issuedAt.getTime()
  if (age > expected.maxAgeMs || age < -CLOCK_SKEW_MS) {
    reject('E_SIWE_ISSUED_AT', 'The message was not issued recently; sign a new one')
  }
  return m as CheckedSiweMessage
}

/** Same origin, and the message's path lies under the configured one. */
function uriMatches(actual: string, expected: string): boolean {
  try {
    const a = new URL(actual)
    const e = new URL(expected)
    const base = e.pathname.endsWith('/') ? e.pathname : `${e.pathname}/`
    return (
      a.origin === e.origin &&
      (a.pathname === e.pathname || a.pathname.startsWith(base) || e.pathname === '/')
    )
  } catch {
    return false
  }
}

/**
 * An externally owned account signs with a 65-byte ECDSA signature. Anything
 * else (longer, or wrapped per ERC-6492) comes from a smart-contract wallet,
 * which can only be checked on chain (EIP-1271).
 */
export function looksLikeContractWalletSignature(signature: string): boolean {
  const hex = signature.startsWith('0x') ? signature.slice(2) : signature
  return hex.length !== 130 || hex.toLowerCase().endsWith('6492'.repeat(16))
}
