import env from '#start/env'

/** The wallets on a user's list (docs/adr/0014). */
const wallets = {
  /** Proven and watched together, the sign-in wallet included: one more is 422 E_WALLET_LIMIT. */
  perUserMax: env.get('WALLETS_PER_USER_MAX', 20),
}

export default wallets
