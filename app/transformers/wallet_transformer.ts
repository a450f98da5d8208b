import type { UserWallet } from '#models'

/**
 * A wallet on the caller's list. `preferences` holds only what was set for
 * this wallet: every other choice is the user's (GET /me).
 */
export function walletToJson(wallet: UserWallet) {
  return {
    id: wallet.id,
    address: wallet.address,
    kind: wallet.kind,
    proof: wallet.proof,
    label: wallet.label,
    preferences: wallet.preferences,
    // a row just created has no chat id loaded: none is linked
    telegramLinked: (wallet.telegramChatId ?? null) !== null,
    createdAt: wallet.createdAt.toUTC().toISO(),
    updatedAt: wallet.updatedAt.toUTC().toISO(),
  }
}
