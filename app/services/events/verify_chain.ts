import db from '@adonisjs/lucid/services/db'

export interface BrokenLink {
  position: string
  aggregateType: string
  aggregateId: string
  version: number
  problem: 'hash' | 'gap'
}

export interface ChainReport {
  events: number
  aggregates: number
  /** The first broken link in position order, or null when the chain is intact. */
  broken: BrokenLink | null
  /** `position:digest` over every aggregate's newest hash up to that position: keep it elsewhere. */
  anchor: string | null
}

/**
 * Walks every aggregate's chain (set-based: one pass with a window) and
 * reports the first event, in position order, whose stored hash does not
 * match its content and its predecessor's hash, or whose version does not
 * follow the previous one (a removed event).
 */
export async function verifyChain(): Promise<ChainReport> {
  const { rows: broken } = await db.rawQuery(`
    with checked as (
      select e.position, e.aggregate_type, e.aggregate_id, e.version, e.hash,
             lag(e.version) over w as prev_version,
             event_hash(lag(e.hash) over w, e.aggregate_type, e.aggregate_id, e.version,
                        e.event_type, e.payload, e.metadata, e.occurred_at) as expected
      from event_store e
      window w as (partition by e.aggregate_type, e.aggregate_id order by e.version)
    )
    select position::text, aggregate_type, aggregate_id, version,
           case when coalesce(prev_version, 0) <> version - 1 then 'gap' else 'hash' end as problem
    from checked
    where hash <> expected or coalesce(prev_version, 0) <> version - 1
    order by position
    limit 1
  `)
  const { rows: counts } = await db.rawQuery(`
    select count(*)::int as events, count(distinct (aggregate_type, aggregate_id))::int as aggregates,
           max(position)::text as last from event_store`)
  const last = counts[0].last as string | null
  return {
    events: counts[0].events,
    aggregates: counts[0].aggregates,
    broken: broken[0]
      ? {
          position: broken[0].position,
          aggregateType: broken[0].aggregate_type,
          aggregateId: broken[0].aggregate_id,
          version: broken[0].version,
          problem: broken[0].problem,
        }
      : null,
    anchor: last ? `${last}:${await anchorDigest(last)}` : null,
  }
}

/**
 * SHA-256 over the newest (aggregate, version, hash) of every aggregate among
 * the events up to `position`. The chain alone cannot see the newest events of
 * an aggregate removed together with their hashes; a digest kept outside the
 * database can.
 */
export async function anchorDigest(position: string): Promise<string> {
  const { rows } = await db.rawQuery(
    `select encode(sha256(convert_to(coalesce(string_agg(
               aggregate_type || ':' || aggregate_id || ':' || version || ':' || hash, E'\\n'
               order by aggregate_type, aggregate_id), ''), 'UTF8')), 'hex') as digest
     from (
       select distinct on (aggregate_type, aggregate_id) aggregate_type, aggregate_id, version, hash
       from event_store where position <= ?::bigint
       order by aggregate_type, aggregate_id, version desc
     ) heads`,
    [position]
  )
  return rows[0].digest
}
