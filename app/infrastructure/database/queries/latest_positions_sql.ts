// Kept apart from the query function so the benchmark's bare server can import it without the app.

/**
 * The dashboard's hottest read: the newest snapshot of each (wallet, protocol,
 * chain) of one user, for the wallets on their list. position_heads (kept by
 * a trigger on positions) names each newest snapshot: one index range scan of
 * the user's heads and one primary-key probe per position, whatever the
 * length of the history. A wallet taken off the list has no heads left
 * (docs/adr/0014); the semi-join also guards a head written meanwhile.
 * The plan is checked in tests/functional/positions/latest_query_plan.spec.ts.
 */
export const LATEST_POSITIONS_SQL = `
  select p.id, p.user_id, p.wallet_address, p.protocol, p.chain_id, p.health_factor,
         p.collateral, p.debt, p.metadata, p.snapshot_at, p.created_at
  from position_heads h
  join positions p on p.id = h.snapshot_id
  where h.user_id = :user
    and exists (select 1 from user_wallets w where w.user_id = h.user_id and w.address = h.wallet_address)
  order by p.protocol, p.chain_id, p.wallet_address`
