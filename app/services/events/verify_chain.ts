import db from '@adonisjs/lucid/services/db'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import eventsConfig from '#config/events'
import { integrationLag } from '#services/events/integrator'

/**
 * What events:verify found wrong first (docs/adr/0012). `block`: a block's own
 * hash, root or link to its predecessor; `event`: an event row differs from
 * the leaf its block sealed (changed, inserted, removed or reordered);
 * `journal`: an integrated event differs from the journal row it came from;
 * `version`: an aggregate's versions are not contiguous; `backlog`: the
 * integrator is behind the published maximum merge delay; `archive`: an
 * archive does not chain into the first remaining block.
 */
export interface Problem {
  kind: 'block' | 'event' | 'journal' | 'version' | 'backlog' | 'archive'
  message: string
  blockNo?: string
  position?: string
}

export interface StoreReport {
  blocks: number
  events: number
  aggregates: number
  problem: Problem | null
  /** `block:hash` of the newest block: keep it outside the database, check it later with --anchor. */
  anchor: string | null
  backlogSeconds: number
}

type Client = Pick<QueryClientContract, 'rawQuery'>

/**
 * Every check events:verify makes, in the order a reader would want the
 * answer: the blocks themselves, then the rows against the leaves, the
 * journal against the rows, the versions, the backlog. Set-based passes; the
 * first problem found is returned.
 */
export async function verifyStore(client: Client = db): Promise<StoreReport> {
  const { rows: counts } = await client.rawQuery(`
    select (select count(*)::int from event_store_blocks) as blocks,
           (select count(*)::int from event_store where tx < event_store_sealed_bound()) as events,
           (select count(distinct (aggregate_type, aggregate_id))::int from event_store) as aggregates,
           (select block_no::text || ':' || hash from event_store_blocks order by block_no desc limit 1) as anchor`)
  const lag = await integrationLag(client)
  const report: StoreReport = {
    blocks: counts[0].blocks,
    events: counts[0].events,
    aggregates: counts[0].aggregates,
    problem: null,
    anchor: counts[0].anchor,
    backlogSeconds: lag.backlogSeconds,
  }
  report.problem =
    (await brokenBlock(client)) ??
    (await differingLeaf(client)) ??
    (await differingJournal(client)) ??
    (await versionGap(client)) ??
    (lag.backlogSeconds > eventsConfig.maxMergeDelaySeconds
      ? {
          kind: 'backlog',
          message: `the oldest unsealed append waited ${lag.backlogSeconds.toFixed(1)} s, over the ${eventsConfig.maxMergeDelaySeconds} s maximum merge delay`,
        }
      : null)
  return report
}

/**
 * The first block whose number, range or link does not follow its
 * predecessor's, or whose root or hash is not what its content gives. The
 * first remaining block follows the newest archive (or is block 1).
 */
async function brokenBlock(client: Client): Promise<Problem | null> {
  const { rows } = await client.rawQuery(`
    with archived as (
      select last_block, last_block_hash from event_store_archives
      where last_block is not null order by last_block desc limit 1
    ),
    chain as (
      select b.*,
             lag(b.block_no) over w as prev_no, lag(b.to_tx) over w as prev_to, lag(b.hash) over w as prev,
             row_number() over w as n
      from event_store_blocks b
      window w as (order by b.block_no)
    )
    select c.block_no::text,
           case
             when c.n = 1 and c.block_no <> coalesce((select last_block from archived), 0) + 1
               then 'does not follow the newest archive (or block 1): blocks before it were removed'
             when c.n = 1 and c.prev_hash is distinct from (select last_block_hash from archived)
               then 'does not link to the newest archive''s last block'
             when c.n > 1 and c.block_no <> c.prev_no + 1 then 'a block before it is missing'
             when c.n > 1 and c.prev_hash is distinct from c.prev then 'does not link to the previous block''s hash'
             when c.n > 1 and c.from_tx <> c.prev_to then 'its range does not start where the previous one ended'
             when c.root <> sha256(c.leaves) then 'its root does not match its leaves'
             when c.hash <> event_block_hash(c.block_no, c.from_tx, c.to_tx, c.events, c.root, c.prev_hash)
               then 'its hash does not match its content'
           end as problem
    from chain c
    order by c.block_no`)
  const bad = rows.find((r: { problem: string | null }) => r.problem)
  return bad
    ? { kind: 'block', blockNo: bad.block_no, message: `block ${bad.block_no} ${bad.problem}` }
    : null
}

/**
 * Recomputes every sealed event's leaf and compares it, in order, with the
 * leaves its block holds. The first position where they differ is explained
 * by the leaves around it: the stored next one there means an event was
 * removed, the recomputed next one an event inserted, the two swapped a
 * reorder; anything else a changed event.
 */
async function differingLeaf(client: Client): Promise<Problem | null> {
  const { rows } = await client.rawQuery(`
    with first_block as (select min(from_tx) as from_tx from event_store_blocks),
    stored as (
      select b.block_no, g.i, substring(b.leaves from g.i * 32 + 1 for 32) as leaf
      from event_store_blocks b cross join lateral generate_series(0, b.events - 1) g(i)
    ),
    computed as (
      select b.block_no, (row_number() over (partition by b.block_no order by e.tx, e.position) - 1)::int as i,
             e.position, e.aggregate_type, e.aggregate_id, e.version,
             event_leaf(e.aggregate_type, e.aggregate_id, e.version, e.event_type,
                        e.payload, e.metadata, e.occurred_at, e.user_id) as leaf
      from event_store e
      join event_store_blocks b on e.tx >= b.from_tx and e.tx < b.to_tx
    ),
    diff as (
      select coalesce(s.block_no, c.block_no) as block_no, coalesce(s.i, c.i) as i
      from stored s full join computed c on c.block_no = s.block_no and c.i = s.i
      where s.leaf is distinct from c.leaf
      order by 1, 2 limit 1
    )
    select d.block_no::text, d.i,
           (select count(*)::int from event_store e, first_block f where e.tx < f.from_tx) as below,
           c0.position::text as position, c0.aggregate_type, c0.aggregate_id, c0.version,
           c0.leaf = s1.leaf as removed, c1.leaf = s0.leaf as inserted,
           s0.leaf = c1.leaf and s1.leaf = c0.leaf as swapped,
           s0.leaf is null as extra, c0.leaf is null as missing
    from diff d
    left join stored s0 on s0.block_no = d.block_no and s0.i = d.i
    left join stored s1 on s1.block_no = d.block_no and s1.i = d.i + 1
    left join computed c0 on c0.block_no = d.block_no and c0.i = d.i
    left join computed c1 on c1.block_no = d.block_no and c1.i = d.i + 1`)
  const d = rows[0]
  if (!d) {
    const { rows: below } = await client.rawQuery(`
      select e.position::text, e.aggregate_type, e.aggregate_id, e.version from event_store e
      where e.tx < (select coalesce(min(from_tx), '0'::xid8) from event_store_blocks)
        and exists (select 1 from event_store_blocks)
      order by e.tx, e.position limit 1`)
    if (!below[0]) return null
    return {
      kind: 'event',
      position: below[0].position,
      message: `event at position ${below[0].position} (${below[0].aggregate_type} ${below[0].aggregate_id} v${below[0].version}) lies before the first block: inserted`,
    }
  }
  const where = `block ${d.block_no}, leaf ${d.i}`
  const named = d.position
    ? `event at position ${d.position} (${d.aggregate_type} ${d.aggregate_id} v${d.version})`
    : 'an event'
  const what = d.swapped
    ? `${named} and the next one are in the wrong order: reordered`
    : d.missing || d.removed
      ? `the event sealed there is missing: removed${d.position ? ` (now ${named} is there)` : ''}`
      : d.extra || d.inserted
        ? `${named} was not sealed: inserted`
        : `${named} does not match its sealed leaf: changed`
  return {
    kind: 'event',
    blockNo: d.block_no,
    position: d.position ?? undefined,
    message: `${where}: ${what}`,
  }
}

/** Every integrated event equal to its journal row's expansion, in the same order. */
async function differingJournal(client: Client): Promise<Problem | null> {
  const { rows } = await client.rawQuery(`
    with range as (
      select min(from_tx) as from_tx, max(to_tx) as to_tx from event_store_blocks
    ),
    expected as (
      select x.journal_id, row_number() over (partition by x.journal_id order by x.ord) as n,
             x.tx, x.aggregate_type, x.aggregate_id, x.event_type, x.payload, x.metadata, x.occurred_at
      from range r, event_journal_expand(r.from_tx, r.to_tx) x
    ),
    actual as (
      select e.journal_id, row_number() over (partition by e.journal_id order by e.position) as n,
             e.tx, e.aggregate_type, e.aggregate_id, e.event_type, e.payload, e.metadata, e.occurred_at,
             e.position
      from event_store e, range r
      where e.journal_id is not null and e.tx >= r.from_tx and e.tx < r.to_tx
    )
    select coalesce(a.journal_id, x.journal_id)::text as journal_id, a.position::text as position
    from expected x full join actual a on a.journal_id = x.journal_id and a.n = x.n
    where (x.tx, x.aggregate_type, x.aggregate_id, x.event_type, x.payload, x.metadata, x.occurred_at)
          is distinct from
          (a.tx, a.aggregate_type, a.aggregate_id, a.event_type, a.payload, a.metadata, a.occurred_at)
    order by 1, 2 limit 1`)
  if (!rows[0]) return null
  return {
    kind: 'journal',
    position: rows[0].position ?? undefined,
    message: rows[0].position
      ? `event at position ${rows[0].position} differs from journal row ${rows[0].journal_id}`
      : `an event of journal row ${rows[0].journal_id} is missing from the store`,
  }
}

/** Per aggregate, versions 1, 2, … (or from its archive checkpoint) with no gap. */
async function versionGap(client: Client): Promise<Problem | null> {
  const { rows } = await client.rawQuery(`
    select position::text, aggregate_type, aggregate_id, version from (
      select e.position, e.aggregate_type, e.aggregate_id, e.version,
             coalesce(lag(e.version) over w,
                      (select max(c.version) from event_store_checkpoints c
                        where c.aggregate_type = e.aggregate_type and c.aggregate_id = e.aggregate_id), 0) as prev
      from event_store e
      window w as (partition by e.aggregate_type, e.aggregate_id order by e.version)
    ) v
    where v.version <> v.prev + 1
    order by position limit 1`)
  if (!rows[0]) return null
  const r = rows[0]
  return {
    kind: 'version',
    position: r.position,
    message: `event at position ${r.position} (${r.aggregate_type} ${r.aggregate_id} v${r.version}) does not follow the previous version: an event is missing`,
  }
}

/** Whether block `blockNo` still has `hash`, in the store or as an archive's recorded last block. */
export async function anchorHolds(
  blockNo: string,
  hash: string,
  client: Client = db,
  archivedBlocks?: string
): Promise<boolean> {
  const { rows } = await client.rawQuery(
    `select exists (select 1 from event_store_blocks where block_no = ?::bigint and hash = ?)
         or exists (select 1 from event_store_archives where last_block = ?::bigint and last_block_hash = ?)
         ${archivedBlocks ? `or exists (select 1 from ${archivedBlocks} where block_no = ?::bigint and hash = ?)` : ''}
       as ok`,
    archivedBlocks ? [blockNo, hash, blockNo, hash, blockNo, hash] : [blockNo, hash, blockNo, hash]
  )
  return rows[0].ok
}
