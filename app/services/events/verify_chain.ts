import db from '@adonisjs/lucid/services/db'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'

export interface BrokenLink {
  position: string
  aggregateType: string
  aggregateId: string
  version: number
  /** hash: content or predecessor changed; gap: an event is missing; checkpoint: an archive does not join the store */
  problem: 'hash' | 'gap' | 'checkpoint'
}

export interface ChainReport {
  events: number
  aggregates: number
  /** The first broken link in position order, or null when the chain is intact. */
  broken: BrokenLink | null
  /** `position:digest` over every aggregate's newest hash up to that position: keep it elsewhere. */
  anchor: string | null
  /** Why there is no anchor although there are events. */
  anchorUnavailable?: string
}

export interface VerifyOptions {
  /** Take an anchor (events:verify does; the archive's pre-check does not need one). */
  anchor?: boolean
  /** How long to wait for transactions that may still add events below the anchor. */
  anchorWaitMs?: number
}

type Client = Pick<QueryClientContract, 'rawQuery'>

const toBrokenLink = (row: any, problem: BrokenLink['problem'] = row.problem): BrokenLink => ({
  position: row.position,
  aggregateType: row.aggregate_type,
  aggregateId: row.aggregate_id,
  version: row.version,
  problem,
})

/**
 * The first event of `events`, in position order, whose stored hash does not
 * match its content and its predecessor's hash, or whose version does not
 * follow the previous one (a removed event). `base` rows (archive
 * checkpoints: version, hash, position) stand in for archived predecessors;
 * they are links to check against, not events to check. One set-based pass
 * with a window over all aggregates.
 */
async function firstBrokenLink(
  client: Client,
  events: string,
  base: string,
  bindings: unknown[] = []
): Promise<BrokenLink | null> {
  const { rows } = await client.rawQuery(
    `
    with chain as (
      select position, aggregate_type, aggregate_id, version, hash,
             event_type, payload, metadata, occurred_at, false as base
      from ${events}
      union all
      select position, aggregate_type, aggregate_id, version, hash, null, null, null, null, true
      from ${base}
    ),
    checked as (
      select position, aggregate_type, aggregate_id, version, hash, base,
             lag(version) over w as prev_version,
             case when base then hash
                  else event_hash(lag(hash) over w, aggregate_type, aggregate_id, version,
                                  event_type, payload, metadata, occurred_at) end as expected
      from chain
      window w as (partition by aggregate_type, aggregate_id order by version)
    )
    select position::text, aggregate_type, aggregate_id, version,
           case when coalesce(prev_version, 0) <> version - 1 then 'gap' else 'hash' end as problem
    from checked
    where not base and (hash <> expected or coalesce(prev_version, 0) <> version - 1)
    order by position
    limit 1
  `,
    bindings as any[]
  )
  return rows[0] ? toBrokenLink(rows[0]) : null
}

/** Walks every aggregate's chain in the store, from its archive checkpoint where it has one. */
export async function verifyChain(
  client: Client = db,
  { anchor = true, anchorWaitMs = 30_000 }: VerifyOptions = {}
): Promise<ChainReport> {
  const broken = await firstBrokenLink(client, 'event_store', 'event_store_checkpoints')
  const { rows: counts } = await client.rawQuery(`
    select count(*)::int as events, count(distinct (aggregate_type, aggregate_id))::int as aggregates,
           max(position)::text as last, pg_snapshot_xmax(pg_current_snapshot())::text as xmax
    from event_store`)
  const last = counts[0].last as string | null
  const report: ChainReport = {
    events: counts[0].events,
    aggregates: counts[0].aggregates,
    broken,
    anchor: null,
  }
  if (!anchor || !last) return report
  // Positions are drawn when a row is inserted, not when it commits: a transaction
  // still running may hold one below `last`, and its event would change the digest
  // once it commits — a false alarm at the next check. Positions drawn from now on
  // are all above `last`, so once the transactions running now are over, the
  // events up to `last` are settled.
  if (!(await settled(client, counts[0].xmax, anchorWaitMs))) {
    report.anchorUnavailable = `transactions running for over ${anchorWaitMs / 1000} s may still add events below position ${last}`
    return report
  }
  report.anchor = `${last}:${await anchorDigest(last, client)}`
  return report
}

/**
 * Whether every transaction that began before `xmax` has ended, waiting up to
 * `waitMs`. Our own transaction (events:verify runs in one) is not in its own
 * snapshot's list of running ones.
 */
async function settled(client: Client, xmax: string, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs
  for (;;) {
    const { rows } = await client.rawQuery(
      `select exists (
         select 1 from pg_snapshot_xip(pg_current_snapshot()) as running(id)
         where running.id < ?::xid8
       ) as busy`,
      [xmax]
    )
    if (!rows[0].busy) return true
    if (Date.now() >= deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/**
 * Checks the events of an archive file, loaded into `rows` (a relation with
 * the store's columns): each chain from the checkpoint of an earlier archive
 * (or from version 1), and this archive's checkpoints equal to the last
 * archived event of each aggregate, so the chain runs on into the store.
 */
export async function verifyArchivedChain(
  client: Client,
  rows: string,
  archiveId: string
): Promise<BrokenLink | null> {
  const broken = await firstBrokenLink(
    client,
    rows,
    '(select * from event_store_checkpoints where archive_id <> ?) earlier',
    [archiveId]
  )
  if (broken) return broken
  const { rows: loose } = await client.rawQuery(
    `with last as (
       select distinct on (aggregate_type, aggregate_id) aggregate_type, aggregate_id, version, hash, position
       from ${rows} order by aggregate_type, aggregate_id, version desc
     )
     select coalesce(l.position, c.position)::text as position,
            coalesce(l.aggregate_type, c.aggregate_type) as aggregate_type,
            coalesce(l.aggregate_id, c.aggregate_id) as aggregate_id,
            coalesce(l.version, c.version) as version
     from last l
     full join (select * from event_store_checkpoints where archive_id = ?) c
       on c.aggregate_type = l.aggregate_type and c.aggregate_id = l.aggregate_id
     where c.version is distinct from l.version or c.hash is distinct from l.hash
     order by 1 limit 1`,
    [archiveId]
  )
  return loose[0] ? toBrokenLink(loose[0], 'checkpoint') : null
}

/**
 * SHA-256 over the newest (aggregate, version, hash) of every aggregate among
 * the events up to `position`. The chain alone cannot see the newest events of
 * an aggregate removed together with their hashes; a digest kept outside the
 * database can. Archive checkpoints keep the heads of archived aggregates, so
 * an anchor newer than every archived event still matches after archiving;
 * an older one needs the archive files' events (`archived`, a relation).
 */
export async function anchorDigest(
  position: string,
  client: Client = db,
  archived?: string
): Promise<string> {
  const { rows } = await client.rawQuery(
    `select encode(sha256(convert_to(coalesce(string_agg(
               aggregate_type || ':' || aggregate_id || ':' || version || ':' || hash, E'\\n'
               order by aggregate_type, aggregate_id), ''), 'UTF8')), 'hex') as digest
     from (
       select distinct on (aggregate_type, aggregate_id) aggregate_type, aggregate_id, version, hash
       from (
         select aggregate_type, aggregate_id, version, hash, position from event_store
         union all
         select aggregate_type, aggregate_id, version, hash, position from event_store_checkpoints
         ${archived ? `union all select aggregate_type, aggregate_id, version, hash, position from ${archived}` : ''}
       ) links
       where position <= ?::bigint
       order by aggregate_type, aggregate_id, version desc
     ) heads`,
    [position]
  )
  return rows[0].digest
}
