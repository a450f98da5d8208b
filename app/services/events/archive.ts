import { createReadStream } from 'node:fs'
import { open as openFile, rm } from 'node:fs/promises'
import { basename, dirname, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { createGzip, createGunzip } from 'node:zlib'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { pipeline } from 'node:stream/promises'
import db from '@adonisjs/lucid/services/db'
import { exactInstant } from '#infrastructure/database/exact_instant'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { RawQueryBindings } from '@adonisjs/lucid/types/querybuilder'
import type { DateTime } from 'luxon'
import { applyEvent, type AggregateState } from '#domain/events/aggregate_state'
import eventRecorder from '#services/events/event_recorder'
import { EVENT_STORE_AGGREGATE_ID } from '#services/events/gate'
import { verifyStore } from '#services/events/verify_chain'

/** /2: whole blocks, each line of a block followed by its events (docs/adr/0012). */
export const ARCHIVE_FORMAT = 'defi-assistant-event-archive/2'
const CHUNK = 5000

export interface ArchiveReport {
  archiveId: string
  file: string
  sha256: string
  events: number
  aggregates: number
  firstPosition: string
  lastPosition: string
  firstBlock: string
  lastBlock: string
  lastBlockHash: string
}

interface ArchivedBlock {
  block_no: string
  from_tx: string
  to_tx: string
  events: number
  first_position: string
  last_position: string
  leaves: string
  root: string
  prev_hash: string | null
  hash: string
  oldest_append_at: string
  sealed_at: string
}

interface ArchivedRow {
  position: string
  tx: string
  aggregate_type: string
  aggregate_id: string
  version: number
  event_type: string
  payload: string
  metadata: string
  occurred_at: string
  user_id: string | null
  journal_id: string | null
  /** The event's leaf (hex): the checkpoint keeps the last archived one's. */
  hash: string
}

interface Checkpoint {
  aggregate_type: string
  aggregate_id: string
  version: number
  hash: string
  position: string
  occurred_at: string
  user_id: string | null
  state: AggregateState | null
}

/**
 * One line of the archive: the event with payload and metadata spliced in as
 * PostgreSQL printed them, so the file is readable JSON and loading it back
 * as jsonb reproduces exactly the text its leaf was computed over.
 */
function line(r: ArchivedRow): string {
  return (
    `{"position":${r.position},"tx":"${r.tx}","aggregateType":${JSON.stringify(r.aggregate_type)},` +
    `"aggregateId":"${r.aggregate_id}","version":${r.version},"type":${JSON.stringify(r.event_type)},` +
    `"payload":${r.payload},"metadata":${r.metadata},"occurredAt":"${r.occurred_at}",` +
    `"userId":${r.user_id ? `"${r.user_id}"` : 'null'},"journalId":${r.journal_id ?? 'null'},"hash":"${r.hash}"}\n`
  )
}

/** A block's line: everything its hash and its link were computed over. */
function blockLine(b: ArchivedBlock): string {
  return (
    JSON.stringify({
      block: {
        blockNo: b.block_no,
        fromTx: b.from_tx,
        toTx: b.to_tx,
        events: b.events,
        firstPosition: b.first_position,
        lastPosition: b.last_position,
        leaves: b.leaves,
        root: b.root,
        prevHash: b.prev_hash,
        hash: b.hash,
        oldestAppendAt: b.oldest_append_at,
        sealedAt: b.sealed_at,
      },
    }) + '\n'
  )
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(path), hash)
  return hash.digest('hex')
}

async function insertCheckpoints(
  trx: TransactionClientContract,
  archiveId: string,
  checkpoints: Checkpoint[]
) {
  if (checkpoints.length === 0) return
  await trx.rawQuery(
    `insert into event_store_checkpoints
       (aggregate_type, aggregate_id, version, hash, position, occurred_at, user_id, state, archive_id)
     -- signals and system events fold to nothing: a JSON null, not a missing state
     select aggregate_type, aggregate_id, version, hash, position, occurred_at, user_id,
            coalesce(state, 'null'::jsonb), ?
     from jsonb_to_recordset(?::jsonb) as x(aggregate_type text, aggregate_id uuid, version int,
       hash text, position bigint, occurred_at timestamptz, user_id uuid, state jsonb)`,
    [archiveId, JSON.stringify(checkpoints)]
  )
}

/**
 * Moves whole blocks (docs/adr/0012) — the oldest ones whose every event
 * occurred before `before`, never the newest (its bound is what readers read
 * up to) — with all their events into a gzip'd JSON-lines file, and leaves per
 * aggregate a checkpoint (version, last leaf, position, folded state) in their
 * place, all in one transaction: the file is written and synced before
 * anything is deleted, and a failure removes the file and deletes nothing.
 * The first remaining block links to the last archived one's hash, which the
 * archive row keeps. Refuses to archive a store that does not verify.
 */
export async function archiveEvents(before: DateTime, out: string): Promise<ArchiveReport | null> {
  if (before.toMillis() > Date.now()) throw new Error('--before must not be in the future')
  // Operator work over the whole store: the API's 30 s statement timeout does not apply.
  const check = await db.transaction(async (readTrx) => {
    await readTrx.rawQuery('set local statement_timeout = 0')
    return verifyStore(readTrx)
  })
  if (check.problem && check.problem.kind !== 'backlog') {
    throw new Error(
      `the store does not verify (${check.problem.message}): run events:verify and investigate before archiving`
    )
  }

  const trx = await db.transaction()
  let fileCreated = false
  let committing = false
  try {
    await trx.rawQuery('set local statement_timeout = 0')
    // One archiver at a time; appends and integration go on (they never touch an old block).
    await trx.rawQuery('lock table event_store_archives in share row exclusive mode')
    const cutoff = before.toUTC().toISO()!
    // The prefix of blocks whose events all occurred before the cut-off, short of the newest.
    const { rows: blocks } = (await trx.rawQuery(
      `with b as (
         select b.*, (select max(e.occurred_at) from event_store e
                       where e.tx >= b.from_tx and e.tx < b.to_tx) as newest_event,
                max(b.block_no) over () as newest_block
         from event_store_blocks b
       ),
       prefix as (
         select b.*, bool_and(b.newest_event < ?::timestamptz and b.block_no < b.newest_block)
                       over (order by b.block_no) as whole
         from b
       )
       select block_no::text, from_tx::text, to_tx::text, events, first_position::text,
              last_position::text, encode(leaves, 'hex') as leaves, encode(root, 'hex') as root,
              prev_hash, hash, ${exactInstant('oldest_append_at')} as oldest_append_at,
              ${exactInstant('sealed_at')} as sealed_at
       from prefix where whole order by block_no`,
      [cutoff]
    )) as { rows: ArchivedBlock[] }
    if (blocks.length === 0) {
      await trx.rollback()
      return null
    }
    const first = blocks[0]
    const last = blocks.at(-1)!
    const fromTx = first.from_tx
    const toTx = last.to_tx
    const { rows: totals } = await trx.rawQuery(
      `select count(*)::int as events, count(distinct (aggregate_type, aggregate_id))::int as aggregates,
              min(position)::text as first, max(position)::text as last
       from event_store where tx >= ?::xid8 and tx < ?::xid8`,
      [fromTx, toTx]
    )
    const { rows: ids } = await trx.rawQuery('select uuid_generate_v7() as id')
    const archiveId: string = ids[0].id

    // 'wx': an existing file is never overwritten (nor removed on failure below).
    const file = await openFile(out, 'wx')
    fileCreated = true
    const gzip = createGzip({ level: 9 })
    const written = pipeline(gzip, file.createWriteStream())
    // A write error (a full disk) ends the pipeline: it must fail the archive, not
    // wait forever for a 'drain' that never comes, nor crash the process unhandled.
    written.catch(() => {})
    const write = async (text: string) => {
      if (!gzip.write(text)) await Promise.race([once(gzip, 'drain'), written])
    }
    await write(
      JSON.stringify({
        format: ARCHIVE_FORMAT,
        archiveId,
        before: cutoff,
        events: totals[0].events,
        aggregates: totals[0].aggregates,
        blocks: blocks.length,
        firstBlock: first.block_no,
        lastBlock: last.block_no,
        lastBlockHash: last.hash,
      }) + '\n'
    )

    // Checkpoints: per aggregate, its archived events folded from its previous checkpoint.
    const checkpoints = new Map<string, Checkpoint>()
    for (const block of blocks) {
      await write(blockLine(block))
      let key: [string, string] = [block.from_tx, '0']
      for (;;) {
        const { rows } = await trx.rawQuery(
          `select e.position::text, e.tx::text, e.aggregate_type, e.aggregate_id, e.version, e.event_type,
                  e.payload::text as payload, e.metadata::text as metadata,
                  ${exactInstant('e.occurred_at')} as occurred_at, e.user_id, e.journal_id::text,
                  encode(event_leaf(e.aggregate_type, e.aggregate_id, e.version,
                                    e.event_type, e.payload, e.metadata, e.occurred_at, e.user_id), 'hex') as hash
           from event_store e
           where (e.tx, e.position) > (?::xid8, ?::bigint) and e.tx < ?::xid8
           order by e.tx, e.position
           limit ${CHUNK}`,
          [...key, block.to_tx]
        )
        if (rows.length === 0) break
        const chunk = rows as ArchivedRow[]
        const fresh = chunk.filter((r) => !checkpoints.has(`${r.aggregate_type}:${r.aggregate_id}`))
        // Aggregates archived before continue from their newest checkpoint's state.
        const { rows: earlier } = fresh.length
          ? await trx.rawQuery(
              `select distinct on (c.aggregate_type, c.aggregate_id) c.aggregate_type, c.aggregate_id, c.state
               from event_store_checkpoints c
               join unnest(?::text[], ?::uuid[]) as k(aggregate_type, aggregate_id)
                 on k.aggregate_type = c.aggregate_type and k.aggregate_id = c.aggregate_id
               order by c.aggregate_type, c.aggregate_id, c.version desc`,
              [fresh.map((r) => r.aggregate_type), fresh.map((r) => r.aggregate_id)]
            )
          : { rows: [] }
        const seeds = new Map<string, AggregateState | null>(
          earlier.map((c: any) => [`${c.aggregate_type}:${c.aggregate_id}`, c.state])
        )
        for (const r of chunk) {
          await write(line(r))
          const id = `${r.aggregate_type}:${r.aggregate_id}`
          let current = checkpoints.get(id)
          if (!current) {
            current = {
              aggregate_type: r.aggregate_type,
              aggregate_id: r.aggregate_id,
              version: 0,
              hash: '',
              position: '',
              occurred_at: '',
              user_id: null,
              state: seeds.get(id) ?? null,
            }
            checkpoints.set(id, current)
          }
          // (tx, position) order is an aggregate's version order but for racing
          // direct writers; the checkpoint keeps the highest version either way.
          if (r.version > current.version) {
            current.version = r.version
            current.hash = r.hash
            current.position = r.position
            current.occurred_at = r.occurred_at
            current.user_id = r.user_id
          }
          current.state =
            applyEvent(current.state ?? undefined, {
              event_type: r.event_type,
              payload: JSON.parse(r.payload),
            }) ?? null
        }
        const lastRow = chunk.at(-1)!
        key = [lastRow.tx, lastRow.position]
      }
    }
    const all = [...checkpoints.values()]
    for (let i = 0; i < all.length; i += 1000) {
      await insertCheckpoints(trx, archiveId, all.slice(i, i + 1000))
    }

    gzip.end()
    await written
    const synced = await openFile(out, 'r+')
    await synced.sync()
    await synced.close()
    // and its directory entry: without it a crash right after the commit could lose
    // the file whose events were just deleted
    const folder = await openFile(dirname(resolve(out)), 'r')
    await folder.sync()
    await folder.close()
    const sha256 = await sha256Of(out)

    // The archive row first: the blocks' guard lets only recorded blocks go.
    await trx.rawQuery(
      `insert into event_store_archives
         (id, before, file_name, file_sha256, events, aggregates, first_position, last_position,
          first_block, last_block, last_block_hash)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        archiveId,
        cutoff,
        basename(out),
        sha256,
        totals[0].events,
        totals[0].aggregates,
        totals[0].first,
        totals[0].last,
        first.block_no,
        last.block_no,
        last.hash,
      ]
    )
    await trx.rawQuery(`delete from event_store where tx >= ?::xid8 and tx < ?::xid8`, [
      fromTx,
      toTx,
    ])
    await trx.rawQuery(`delete from event_store_blocks where block_no <= ?::bigint`, [
      last.block_no,
    ])
    const report: ArchiveReport = {
      archiveId,
      file: out,
      sha256,
      events: totals[0].events,
      aggregates: totals[0].aggregates,
      firstPosition: totals[0].first,
      lastPosition: totals[0].last,
      firstBlock: first.block_no,
      lastBlock: last.block_no,
      lastBlockHash: last.hash,
    }
    // The trail says itself that it was cut, and where the cut-off part went.
    await eventRecorder.append(trx, {
      aggregateType: 'system',
      aggregateId: EVENT_STORE_AGGREGATE_ID,
      eventType: 'system.events_archived',
      payload: { ...report, file: basename(out), before: cutoff },
      metadata: { actor: { type: 'system', id: 'events:archive' } },
    })
    committing = true
    await trx.commit()
    return report
  } catch (error) {
    if (!trx.isCompleted) await trx.rollback().catch(() => {})
    // A failed COMMIT may still have committed (the connection lost after it was
    // sent): the events could be gone, and the file is then their only copy.
    if (fileCreated && !committing) await rm(out, { force: true })
    if (committing) {
      throw new Error(
        `the commit's outcome is unknown (${(error as Error).message}); ${out} is kept: ` +
          'if event_store_archives lists its SHA-256, the events were archived into it'
      )
    }
    throw error
  }
}

export interface ArchiveCheck {
  archiveId: string | null
  events: number
  blocks: number
  /** Why the file does not hold up, or null when it does. */
  problem: string | null
}

/**
 * Loads an archive file into temporary tables inside `trx` (`archived_blocks`
 * and `archived_events`, so several files can be loaded and an old anchor
 * checked over all of them) and checks it: the digest recorded when it was
 * written; its blocks' hashes, roots and links, from the previous archive's
 * last block (or block 1) to the last block the archive row names — the one
 * the first remaining block links to; and every event against its leaf.
 */
export async function checkArchive(
  trx: TransactionClientContract,
  path: string
): Promise<ArchiveCheck> {
  const sha256 = await sha256Of(path)
  const { rows: recorded } = await trx.rawQuery(
    `select a.id, a.events, a.first_block::text, a.last_block::text, a.last_block_hash,
            (select p.last_block_hash from event_store_archives p
              where p.last_block < a.first_block order by p.last_block desc limit 1) as prev_hash
     from event_store_archives a where a.file_sha256 = ?`,
    [sha256]
  )
  const none = { archiveId: null, events: 0, blocks: 0 }
  if (recorded.length === 0) {
    return {
      ...none,
      problem: `no archive with SHA-256 ${sha256} was recorded: the file is not one events:archive wrote, or it was changed`,
    }
  }
  const archive = recorded[0]
  const archiveId: string = archive.id
  await trx.rawQuery(
    `create temp table if not exists archived_blocks (
       block_no bigint, from_tx xid8, to_tx xid8, events int, leaves bytea, root bytea,
       prev_hash text, hash text, archive_id uuid
     ) on commit drop`
  )
  await trx.rawQuery(
    `create temp table if not exists archived_events (
       block_no bigint, tx xid8, position bigint, aggregate_type text, aggregate_id uuid, version int,
       event_type text, payload jsonb, metadata jsonb, occurred_at timestamptz, user_id uuid, archive_id uuid
     ) on commit drop`
  )
  const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()) })
  let header: { format?: string; archiveId?: string } | null = null
  let batch: string[] = []
  let events = 0
  let blocks = 0
  let blockNo: string | null = null
  const flush = async () => {
    if (batch.length === 0) return
    await trx.rawQuery(
      `insert into archived_events
       select ?::bigint, (j->>'tx')::xid8, (j->>'position')::bigint, j->>'aggregateType',
              (j->>'aggregateId')::uuid, (j->>'version')::int, j->>'type', j->'payload', j->'metadata',
              (j->>'occurredAt')::timestamptz, (j->>'userId')::uuid, ?::uuid
       from jsonb_array_elements(?::jsonb) j`,
      [blockNo ?? 0, archiveId, `[${batch.join(',')}]`]
    )
    events += batch.length
    batch = []
  }
  for await (const text of lines) {
    if (header === null) {
      header = JSON.parse(text)
      continue
    }
    if (text.startsWith('{"block":')) {
      await flush()
      const b = JSON.parse(text).block
      blockNo = b.blockNo
      blocks++
      await trx.rawQuery(
        `insert into archived_blocks values
           (?::bigint, ?::xid8, ?::xid8, ?, decode(?, 'hex'), decode(?, 'hex'), ?, ?, ?::uuid)`,
        // the first block ever links to nothing: a null pg sends as NULL
        [
          b.blockNo,
          b.fromTx,
          b.toTx,
          b.events,
          b.leaves,
          b.root,
          b.prevHash,
          b.hash,
          archiveId,
        ] as RawQueryBindings
      )
      continue
    }
    batch.push(text)
    if (batch.length >= 2000) await flush()
  }
  await flush()
  const result = { archiveId, events, blocks }
  if (header?.format !== ARCHIVE_FORMAT || header.archiveId !== archiveId) {
    return { ...result, problem: 'the header does not name this archive' }
  }
  if (events !== archive.events) {
    return { ...result, problem: `${events} events in the file, ${archive.events} recorded` }
  }
  const { rows: badBlocks } = await trx.rawQuery(
    `select block_no::text, problem from (
       select b.block_no,
              case
                when lag(b.block_no) over w is null and b.block_no <> ?::bigint then 'is not the first block recorded'
                when lag(b.block_no) over w is null and b.prev_hash is distinct from ?::text
                  then 'does not link to the previous archive''s last block'
                when lag(b.block_no) over w is not null and b.block_no <> lag(b.block_no) over w + 1 then 'a block before it is missing'
                when lag(b.block_no) over w is not null and b.prev_hash is distinct from lag(b.hash) over w
                  then 'does not link to the previous block''s hash'
                when b.root <> sha256(b.leaves) then 'its root does not match its leaves'
                when b.hash <> event_block_hash(b.block_no, b.from_tx, b.to_tx, b.events, b.root, b.prev_hash)
                  then 'its hash does not match its content'
                when lead(b.block_no) over w is null and (b.block_no <> ?::bigint or b.hash <> ?::text)
                  then 'is not the last block recorded, whose hash the first remaining block links to'
              end as problem
       from archived_blocks b where b.archive_id = ?::uuid
       window w as (order by b.block_no)
     ) x where problem is not null order by block_no limit 1`,
    [
      archive.first_block,
      archive.prev_hash,
      archive.last_block,
      archive.last_block_hash,
      archiveId,
    ] as RawQueryBindings
  )
  if (badBlocks[0]) {
    return { ...result, problem: `block ${badBlocks[0].block_no} ${badBlocks[0].problem}` }
  }
  const { rows: badLeaves } = await trx.rawQuery(
    `with stored as (
       select b.block_no, g.i, substring(b.leaves from g.i * 32 + 1 for 32) as leaf
       from archived_blocks b cross join lateral generate_series(0, b.events - 1) g(i)
       where b.archive_id = ?::uuid
     ),
     computed as (
       select e.block_no, (row_number() over (partition by e.block_no order by e.tx, e.position) - 1)::int as i,
              e.position, event_leaf(e.aggregate_type, e.aggregate_id, e.version,
                                     e.event_type, e.payload, e.metadata, e.occurred_at, e.user_id) as leaf
       from archived_events e where e.archive_id = ?::uuid
     )
     select coalesce(s.block_no, c.block_no)::text as block_no, c.position::text as position
     from stored s full join computed c on c.block_no = s.block_no and c.i = s.i
     where s.leaf is distinct from c.leaf
     order by coalesce(s.block_no, c.block_no), coalesce(s.i, c.i) limit 1`,
    [archiveId, archiveId]
  )
  if (badLeaves[0]) {
    return {
      ...result,
      problem: `block ${badLeaves[0].block_no}: ${badLeaves[0].position ? `the event at position ${badLeaves[0].position}` : 'an event'} does not match its sealed leaf`,
    }
  }
  return { ...result, problem: null }
}
