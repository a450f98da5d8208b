// Kept apart from the query function so the benchmark's bare server can import it without the app.

/**
 * The dashboard's hottest read: the newest snapshot of each (protocol, chain)
 * of one user. A loose index scan: the recursive part walks the distinct
 * (protocol, chain_id) keys of the user through the unique index
 * (user_id, protocol, chain_id, snapshot_at), one probe per key; the lateral
 * part takes the newest snapshot of each with one backward probe. Cost grows
 * with the number of positions, not with the length of their history (a
 * DISTINCT ON would read — and detoast — every snapshot ever stored).
 * The plan is checked in tests/functional/positions/latest_query_plan.spec.ts.
 */
export const LATEST_POSITIONS_SQL = `
  with recursive keys (protocol, chain_id) as (
    (select protocol, chain_id from positions
      where user_id = :user order by protocol, chain_id limit 1)
    union all
    select next.protocol, next.chain_id
    from keys k
    cross join lateral (
      select protocol, chain_id from positions
      where user_id = :user and (protocol, chain_id) > (k.protocol, k.chain_id)
      order by protocol, chain_id limit 1
    ) next
  )
  select p.id, p.user_id, p.wallet_address, p.protocol, p.chain_id, p.health_factor,
         p.collateral, p.debt, p.metadata, p.snapshot_at, p.created_at
  from keys k
  cross join lateral (
    select * from positions
    where user_id = :user and protocol = k.protocol and chain_id = k.chain_id
    order by snapshot_at desc limit 1
  ) p
  order by p.protocol, p.chain_id`
