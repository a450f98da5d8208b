import db from '@adonisjs/lucid/services/db'
import type { DateTime } from 'luxon'
import { DomainError } from '#domain/shared/errors'
import { positionWallet } from '#services/positions/wallet_scope'

/**
 * Mutes one position's health-factor alerts until an instant (a new call
 * replaces the previous snooze; an instant in the past lifts it). The rule
 * keeps evaluating meanwhile, so the position is not re-announced the moment
 * the snooze ends unless it is still, or again, at risk.
 */
export async function snoozePosition(
  userId: string,
  signInWallet: string,
  protocol: string,
  chainId: number,
  until: DateTime,
  /** Which of the user's wallets; left out, the one holding it, else the sign-in wallet. */
  named?: string
) {
  if (until.diffNow().as('days') > 90) {
    throw new DomainError('E_VALIDATION_ERROR', 'A snooze lasts 90 days at most', 'until')
  }
  // A position no wallet holds yet may be snoozed ahead: the sign-in wallet's, as before wallets.
  const walletAddress = (await positionWallet(userId, protocol, chainId, named)) ?? signInWallet
  await db.rawQuery(
    `insert into position_snoozes (user_id, wallet_address, protocol, chain_id, until) values (?, ?, ?, ?, ?)
     on conflict (user_id, wallet_address, protocol, chain_id) do update set until = excluded.until, updated_at = now()`,
    [userId, walletAddress, protocol, chainId, until.toISO()!]
  )
  // The answer names the wallet only when the request did: a one-wallet client's is unchanged.
  return {
    protocol,
    chainId,
    until: until.toUTC().toISO(),
    ...(named ? { walletAddress } : {}),
  }
}
