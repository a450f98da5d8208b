// Kept apart from the query function so the benchmark's bare server can import it without the app.
/**
 * The dashboard's hottest read: the newest snapshot of each (protocol, chain)
 * of one user. Plain rows, no model hydration: this runs on every dashboard
 * load. The plan is checked in tests/functional/positions/latest_query_plan.spec.ts.
 */
export const LATEST_POSITIONS_SQL = `
  select distinct on (protocol, chain_id)
         id, user_id, wallet_address, protocol, chain_id, health_factor,
         collateral, debt, metadata, snapshot_at, created_at
  from positions
  where user_id = ?
  order by protocol, chain_id, snapshot_at desc`
