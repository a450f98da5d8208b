/** The SQL that `latestPositions()` sends (checked in tests/functional/positions/latest_query_plan.spec.ts). */
export const LATEST_POSITIONS_SQL =
  'select distinct on ("protocol", "chain_id") * from "positions" where "user_id" = $1 order by "protocol" asc, "chain_id" asc, "snapshot_at" desc'
