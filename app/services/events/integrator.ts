import db from '@adonisjs/lucid/services/db'
import type { QueryClientContract, TransactionClientContract } from '@adonisjs/lucid/types/database'

/** pg_advisory lock key of the integrator: one pass at a time across all processes. */
export const INTEGRATOR_LOCK = 7_022_001

export interface Block {
  blockNo: string
  fromTx: string
  toTx: string
  events: number
  hash: string
}

export interface IntegrationPass {
  /** false when another process held the integrator's lock: nothing was done here. */
  ran: boolean
  /** Events expanded from the journal in this pass. */
  integrated: number
  /** The block sealed, or null when nothing new had committed. */
  block: Block | null
}

type Client = Pick<QueryClientContract, 'rawQuery'>

/**
 * One integration pass (docs/adr/0012), in one transaction:
 *
 * 1. the bound: the oldest transaction of this database still running
 *    (event_store_horizon(), 6_create_event_store_table.ts). Every transaction below it has
 *    ended, and none can start below it any more, so the events with tx below
 *    it are final — committed or never to be.
 * 2. the journal rows of [previous bound, bound) become event rows, in
 *    commit-safe order (tx, journal row, ordinal); their versions are assigned
 *    here, the one writer of journal-fed streams.
 * 3. every event of [previous bound, bound) — integrated here or written
 *    directly by small appends — is sealed into one block: its leaf hashes in
 *    (tx, position) order, their root and the previous block's hash.
 *
 * A crash anywhere rolls the whole pass back; the journal keeps everything and
 * the next pass starts over from the same previous block.
 */
export async function integrateEvents(): Promise<IntegrationPass> {
  return db.transaction((trx) => integrateIn(trx))
}

async function integrateIn(trx: TransactionClientContract): Promise<IntegrationPass> {
  const { rows: locked } = await trx.rawQuery('select pg_try_advisory_xact_lock(?) as ok', [
    INTEGRATOR_LOCK,
  ])
  if (!locked[0].ok) return { ran: false, integrated: 0, block: null }
  // A 200k-alert fan-out is expanded, sorted and hashed in here: off the request path,
  // so the API's statement timeout is not the limit.
  await trx.rawQuery(`set local statement_timeout = 0`)
  await trx.rawQuery(`set local work_mem = '64MB'`)
  // the integrator's own inserts wake nobody but the readers (6_create_event_store_table.ts)
  await trx.rawQuery(`set local events.integrating = 'on'`)

  const { rows: bounds } = await trx.rawQuery(
    `select b.block_no::text as block_no, b.to_tx::text as from_tx, b.hash as prev_hash,
            event_store_horizon()::text as to_tx
     from (select 1) one
     left join lateral (
       select block_no, to_tx, hash from event_store_blocks order by block_no desc limit 1
     ) b on true`
  )
  const previous = bounds[0]
  const fromTx: string = previous.from_tx ?? '0'
  const toTx: string = previous.to_tx
  if (BigInt(toTx) <= BigInt(fromTx)) return { ran: true, integrated: 0, block: null }

  const { rowCount } = await trx.rawQuery(
    `insert into event_store
       (tx, aggregate_type, aggregate_id, version, event_type, payload, metadata, occurred_at,
        user_id, journal_id, created_at)
     select e.tx, e.aggregate_type, e.aggregate_id,
            case when e.fresh then 0 else coalesce(last.version, cp.version, 0) end
              + row_number() over (partition by e.aggregate_type, e.aggregate_id
                                   order by e.tx, e.journal_id, e.ord),
            e.event_type, e.payload, e.metadata, e.occurred_at,
            case when e.aggregate_type = 'user' then e.aggregate_id
                 else (e.payload->>'userId')::uuid end,
            e.journal_id, e.created_at
     from event_journal_expand(?::xid8, ?::xid8) e
     -- a fresh aggregate (a fan-out's new alert) has no past: the probes are skipped
     left join lateral (
       select s.version from event_store s
       where not e.fresh and s.aggregate_type = e.aggregate_type and s.aggregate_id = e.aggregate_id
       order by s.version desc limit 1
     ) last on true
     left join lateral (
       select c.version from event_store_checkpoints c
       where not e.fresh and last.version is null
         and c.aggregate_type = e.aggregate_type and c.aggregate_id = e.aggregate_id
       order by c.version desc limit 1
     ) cp on true
     order by e.tx, e.journal_id, e.ord`,
    [fromTx, toTx]
  )

  const { rows: sealed } = await trx.rawQuery(
    `with body as (
       select count(*)::int as events, min(e.position) as first_position, max(e.position) as last_position,
              string_agg(event_leaf(e.aggregate_type, e.aggregate_id, e.version,
                                    e.event_type, e.payload, e.metadata, e.occurred_at, e.user_id),
                         ''::bytea order by e.tx, e.position) as leaves,
              min(e.created_at) as oldest
       from event_store e
       where e.tx >= ?::xid8 and e.tx < ?::xid8
     ),
     block as (
       select ?::bigint as block_no, b.*, sha256(b.leaves) as root from body b where b.events > 0
     )
     insert into event_store_blocks
       (block_no, from_tx, to_tx, events, first_position, last_position, leaves, root, prev_hash, hash, oldest_append_at)
     select block_no, ?::xid8, ?::xid8, events, first_position, last_position, leaves, root, ?::text,
            event_block_hash(block_no, ?::xid8, ?::xid8, events, root, ?::text), oldest
     from block
     returning block_no::text, from_tx::text, to_tx::text, events, hash`,
    [
      fromTx,
      toTx,
      String(BigInt(previous.block_no ?? '0') + 1n),
      fromTx,
      toTx,
      previous.prev_hash,
      fromTx,
      toTx,
      previous.prev_hash,
    ]
  )
  const row = sealed[0]
  return {
    ran: true,
    integrated: rowCount ?? 0,
    block: row
      ? {
          blockNo: row.block_no,
          fromTx: row.from_tx,
          toTx: row.to_tx,
          events: row.events,
          hash: row.hash,
        }
      : null,
  }
}

/**
 * Integrates until every transaction that had committed when it was called is
 * sealed, waiting for the ones still running below them (the bound cannot pass
 * a running transaction, in any database of the cluster) and for a pass
 * another process runs. What tests and commands call to read their own writes
 * at once. Not for a caller inside a transaction that wrote events: its own
 * writes cannot be sealed before it commits.
 */
export async function integrateNow(timeoutMs = 10_000): Promise<void> {
  const { rows } = await db.rawQuery(
    `select pg_snapshot_xmax(pg_current_snapshot())::text as target`
  )
  const target = BigInt(rows[0].target)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const pass = await integrateEvents()
    if (pass.ran) {
      const { rows: bound } = await db.rawQuery(
        `select event_store_sealed_bound()::text as bound,
                not exists (select 1 from event_journal where tx >= event_store_sealed_bound() and tx < ?::xid8)
                  and not exists (select 1 from event_store where tx >= event_store_sealed_bound() and tx < ?::xid8)
                  as done`,
        [String(target), String(target)]
      )
      if (bound[0].done || BigInt(bound[0].bound) >= target) return
    }
    if (Date.now() > deadline) {
      throw new Error('events were not sealed in time: a transaction has been running for long')
    }
    await new Promise((resolve) => setTimeout(resolve, pass.ran ? 20 : 50))
  }
}

export interface IntegrationLag {
  /** Seconds the oldest append not yet sealed has waited (0 when none). */
  backlogSeconds: number
  /** The newest block, or null before the first. */
  newest: { blockNo: string; hash: string; sealedAt: Date } | null
}

/** How far the integrator is behind: the age of the oldest append above the sealed bound. */
export async function integrationLag(client: Client = db): Promise<IntegrationLag> {
  const { rows } = await client.rawQuery(
    `with bound as (select event_store_sealed_bound() as tx)
     select extract(epoch from clock_timestamp() - least(
              (select min(j.created_at) from event_journal j, bound where j.tx >= bound.tx),
              (select min(e.created_at) from event_store e, bound where e.tx >= bound.tx)))::float8 as backlog,
            b.block_no::text as block_no, b.hash, b.sealed_at
     from (select 1) one
     left join lateral (
       select block_no, hash, sealed_at from event_store_blocks order by block_no desc limit 1
     ) b on true`
  )
  const r = rows[0]
  return {
    backlogSeconds: Math.max(0, r.backlog ?? 0),
    newest: r.block_no ? { blockNo: r.block_no, hash: r.hash, sealedAt: r.sealed_at } : null,
  }
}
