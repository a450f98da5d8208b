import { randomInt } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import siwe from '#config/siwe'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const NONCE_LENGTH = 24 // 62^24 ≈ 2^143

function randomNonce(): string {
  let nonce = ''
  for (let i = 0; i < NONCE_LENGTH; i++) nonce += ALPHABET[randomInt(ALPHABET.length)]
  return nonce
}

/** Issues a single-use nonce valid for ten minutes, and sweeps long-dead ones. */
export async function issueNonce(): Promise<{ nonce: string; expiresAt: Date }> {
  const nonce = randomNonce()
  const expiresAt = new Date(Date.now() + siwe.nonceTtlMs)
  await db.table('siwe_nonces').insert({ nonce, expires_at: expiresAt })
  // Cheap housekeeping on the write path keeps the table small without a job.
  await db
    .from('siwe_nonces')
    .where('expires_at', '<', new Date(Date.now() - 24 * 3600 * 1000))
    .delete()
  return { nonce, expiresAt }
}

/**
 * Consumes a nonce atomically: one UPDATE that only matches an unused,
 * unexpired nonce. Of two concurrent sign-ins with the same nonce, exactly
 * one sees a row come back.
 */
export async function consumeNonce(
  trx: TransactionClientContract,
  nonce: string
): Promise<boolean> {
  const { rows } = await trx.rawQuery(
    `update siwe_nonces set used_at = now()
      where nonce = ? and used_at is null and expires_at > now()
      returning nonce`,
    [nonce]
  )
  return rows.length === 1
}
