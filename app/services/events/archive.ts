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
import type { DateTime } from 'luxon'
import { applyEvent, type AggregateState } from '#domain/events/aggregate_state'
import eventRecorder from '#services/events/event_recorder'
import { EVENT_STORE_AGGREGATE_ID } from '#services/events/gate'
import { verifyArchivedChain, verifyChain, type BrokenLink } from '#services/events/verify_chain'

export const ARCHIVE_FORMAT = 'defi-assistant-event-archive/1'
const CHUNK = 5000

export interface ArchiveReport {
  archiveId: string
  file: string
  sha256: string
  events: number
  aggregates: number
  firstPosition: string
  lastPosition: string
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
 * as jsonb reproduces exactly the text the hash was computed over.
 */
function line(r: ArchivedRow): string {
  return (
    `{"position":${r.position},"tx":"${r.tx}","aggregateType":${JSON.stringify(r.aggregate_type)},` +
    `"aggregateId":"${r.aggregate_id}","version":${r.version},"type":${JSON.stringify(r.event_type)},` +
    `"payload":${r.payload},"metadata":${r.metadata},"occurredAt":"${r.occurred_at}","hash":"${r.hash}"}\n`
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
 * Moves every aggregate's events older than `before` — a prefix of its
 * chain, never a hole in it — into a gzip'd JSON-lines file, and leaves per
 * aggregate a checkpoint (version, hash, position, folded state) in their
 * place, all in one transaction: the file is written and synced before the
 * events are deleted, and a failure removes the file and deletes nothing.
 * Refuses to archive a chain that does not verify: the evidence stays put.
 */
export async function archiveEvents(before: DateTime, out: string): Promise<ArchiveReport | null> {
  if (before.toMillis() > Date.now()) throw new Error('--before must not be in the future')
  // Operator work over the whole store: the API's 30 s statement timeout does not apply.
  const check = await db.transaction(async (readTrx) => {
    await readTrx.rawQuery('set local statement_timeout = 0')
    return verifyChain(readTrx, { anchor: false })
  })
  if (check.broken) {
    throw new Error(
      `the chain is broken at position ${check.broken.position}: run events:verify and investigate before archiving`
    )
  }

  const trx = await db.transaction()
  let fileCreated = false
  let committing = false
  try {
    await trx.rawQuery('set local statement_timeout = 0')
    // One archiver at a time; appends go on (they never touch an archived prefix).
    await trx.rawQuery('lock table event_store_archives in share row exclusive mode')
    const cutoff = before.toUTC().toISO()!
    // Per aggregate, the last version before the first event at or after the cutoff.
    await trx.rawQuery(
      `create temp table archive_bounds on commit drop as
       select aggregate_type, aggregate_id,
              coalesce(min(version) filter (where occurred_at >= ?::timestamptz) - 1, max(version)) as last_version
       from event_store
       group by aggregate_type, aggregate_id
       having min(occurred_at) < ?::timestamptz`,
      [cutoff, cutoff]
    )
    await trx.rawQuery('delete from archive_bounds where last_version < 1')
    await trx.rawQuery(
      'alter table archive_bounds add primary key (aggregate_type, aggregate_id); analyze archive_bounds'
    )
    const { rows: totals } = await trx.rawQuery(
      `select count(*)::int as events, count(distinct (e.aggregate_type, e.aggregate_id))::int as aggregates,
              min(e.position)::text as first, max(e.position)::text as last
       from event_store e join archive_bounds b using (aggregate_type, aggregate_id)
       where e.version <= b.last_version`
    )
    if (totals[0].events === 0) {
      await trx.rollback()
      return null
    }
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
      }) + '\n'
    )

    let key: [string, string, number] = ['', '00000000-0000-0000-0000-000000000000', 0]
    let current: Checkpoint | null = null
    let pending: Checkpoint[] = []
    for (;;) {
      const { rows } = await trx.rawQuery(
        `select e.position::text, e.tx::text, e.aggregate_type, e.aggregate_id, e.version, e.event_type,
                e.payload::text as payload, e.metadata::text as metadata,
                ${exactInstant('e.occurred_at')} as occurred_at,
                e.user_id, e.hash
         from event_store e join archive_bounds b using (aggregate_type, aggregate_id)
         where e.version <= b.last_version
           and (e.aggregate_type, e.aggregate_id, e.version) > (?, ?::uuid, ?)
         order by e.aggregate_type, e.aggregate_id, e.version
         limit ${CHUNK}`,
        key
      )
      if (rows.length === 0) break
      const chunk = rows as ArchivedRow[]
      // Aggregates archived before continue from their newest checkpoint's state.
      const { rows: earlier } = await trx.rawQuery(
        `select distinct on (c.aggregate_type, c.aggregate_id) c.aggregate_type, c.aggregate_id, c.state
         from event_store_checkpoints c
         join unnest(?::text[], ?::uuid[]) as k(aggregate_type, aggregate_id)
           on k.aggregate_type = c.aggregate_type and k.aggregate_id = c.aggregate_id
         order by c.aggregate_type, c.aggregate_id, c.version desc`,
        [chunk.map((r) => r.aggregate_type), chunk.map((r) => r.aggregate_id)]
      )
      const seeds = new Map<string, AggregateState | null>(
        earlier.map((c: any) => [`${c.aggregate_type}:${c.aggregate_id}`, c.state])
      )
      for (const r of chunk) {
        await write(line(r))
        if (
          !current ||
          current.aggregate_type !== r.aggregate_type ||
          current.aggregate_id !== r.aggregate_id
        ) {
          if (current) pending.push(current)
          current = {
            aggregate_type: r.aggregate_type,
            aggregate_id: r.aggregate_id,
            version: 0,
            hash: '',
            position: '',
            occurred_at: '',
            user_id: null,
            state: seeds.get(`${r.aggregate_type}:${r.aggregate_id}`) ?? null,
          }
        }
        current.version = r.version
        current.hash = r.hash
        current.position = r.position
        current.occurred_at = r.occurred_at
        current.user_id = r.user_id
        current.state =
          applyEvent(current.state ?? undefined, {
            event_type: r.event_type,
            payload: JSON.parse(r.payload),
          }) ?? null
      }
      if (pending.length >= 1000) {
        await insertCheckpoints(trx, archiveId, pending)
        pending = []
      }
      const last = chunk.at(-1)!
      key = [last.aggregate_type, last.aggregate_id, last.version]
    }
    if (current) pending.push(current)
    await insertCheckpoints(trx, archiveId, pending)

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

    await trx.rawQuery(
      `delete from event_store e using archive_bounds b
       where e.aggregate_type = b.aggregate_type and e.aggregate_id = b.aggregate_id
         and e.version <= b.last_version`
    )
    await trx.rawQuery(
      `insert into event_store_archives
         (id, before, file_name, file_sha256, events, aggregates, first_position, last_position)
       values (?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        archiveId,
        cutoff,
        basename(out),
        sha256,
        totals[0].events,
        totals[0].aggregates,
        totals[0].first,
        totals[0].last,
      ]
    )
    const report: ArchiveReport = {
      archiveId,
      file: out,
      sha256,
      events: totals[0].events,
      aggregates: totals[0].aggregates,
      firstPosition: totals[0].first,
      lastPosition: totals[0].last,
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
  /** Why the file does not hold up, or null when it does. */
  problem: string | null
  broken: BrokenLink | null
}

/**
 * Loads an archive file into a temporary table of the store's shape inside
 * `trx` (named `archived_events`, so several files can be loaded and an old
 * anchor checked over all of them) and checks it: the digest recorded when it
 * was written, its chains, and that they join the checkpoints left in the store.
 */
export async function checkArchive(
  trx: TransactionClientContract,
  path: string
): Promise<ArchiveCheck> {
  const sha256 = await sha256Of(path)
  const { rows: recorded } = await trx.rawQuery(
    'select id, events from event_store_archives where file_sha256 = ?',
    [sha256]
  )
  if (recorded.length === 0) {
    return {
      archiveId: null,
      events: 0,
      problem: `no archive with SHA-256 ${sha256} was recorded: the file is not one events:archive wrote, or it was changed`,
      broken: null,
    }
  }
  const archiveId: string = recorded[0].id
  await trx.rawQuery(
    `create temp table if not exists archived_events (
       position bigint, aggregate_type text, aggregate_id uuid, version int, event_type text,
       payload jsonb, metadata jsonb, occurred_at timestamptz, hash text, archive_id uuid
     ) on commit drop`
  )
  const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()) })
  let header: { format?: string; archiveId?: string } | null = null
  let batch: string[] = []
  let events = 0
  const flush = async () => {
    if (batch.length === 0) return
    await trx.rawQuery(
      `insert into archived_events
       select (j->>'position')::bigint, j->>'aggregateType', (j->>'aggregateId')::uuid,
              (j->>'version')::int, j->>'type', j->'payload', j->'metadata',
              (j->>'occurredAt')::timestamptz, j->>'hash', ?::uuid
       from jsonb_array_elements(?::jsonb) j`,
      [archiveId, `[${batch.join(',')}]`]
    )
    events += batch.length
    batch = []
  }
  for await (const text of lines) {
    if (header === null) {
      header = JSON.parse(text)
      continue
    }
    batch.push(text)
    if (batch.length >= 2000) await flush()
  }
  await flush()
  if (header?.format !== ARCHIVE_FORMAT || header.archiveId !== archiveId) {
    return { archiveId, events, problem: 'the header does not name this archive', broken: null }
  }
  if (events !== recorded[0].events) {
    return {
      archiveId,
      events,
      problem: `${events} events in the file, ${recorded[0].events} recorded`,
      broken: null,
    }
  }
  const broken = await verifyArchivedChain(
    trx,
    `(select * from archived_events where archive_id = '${archiveId}') archived`,
    archiveId
  )
  return { archiveId, events, problem: null, broken }
}
