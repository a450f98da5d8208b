import db from '@adonisjs/lucid/services/db'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import { DomainError, NotFoundError } from '#domain/shared/errors'

export type WalletKind = 'proven' | 'watched'

/** The kind of this wallet on the user's list (docs/adr/0014); null when it is not on it. */
export async function walletKind(
  userId: string,
  address: string,
  client: Pick<QueryClientContract, 'rawQuery'> = db
): Promise<WalletKind | null> {
  const { rows } = await client.rawQuery(
    'select kind from user_wallets where user_id = ? and address = ?',
    [userId, address]
  )
  return rows[0]?.kind ?? null
}

/**
 * Which of the user's wallets a request about one (protocol, chain) means.
 * Named: it must be on their list — another is a 404 like an unknown position
 * (nothing says whether someone else holds it). Left out: the one wallet on
 * their list holding that position (its head, docs/adr/0014); several is a 422
 * on `walletAddress` naming them, none is null (the caller decides: the
 * existing 404, or the sign-in wallet).
 */
export async function positionWallet(
  userId: string,
  protocol: string,
  chainId: number,
  named?: string
): Promise<string | null> {
  if (named) {
    if (!(await walletKind(userId, named))) throw new NotFoundError('position')
    return named
  }
  const { rows } = await db.rawQuery(
    `select h.wallet_address from position_heads h
      where h.user_id = ? and h.protocol = ? and h.chain_id = ?
        and exists (select 1 from user_wallets w where w.user_id = h.user_id and w.address = h.wallet_address)
      order by h.wallet_address`,
    [userId, protocol, chainId]
  )
  const wallets = rows.map((r: { wallet_address: string }) => r.wallet_address)
  if (wallets.length > 1) {
    throw new DomainError(
      'E_WALLET_AMBIGUOUS',
      `Several of your wallets hold ${protocol} on chain ${chainId} (${wallets.join(', ')}): name one in walletAddress`,
      'walletAddress',
      { wallets }
    )
  }
  return wallets[0] ?? null
}
