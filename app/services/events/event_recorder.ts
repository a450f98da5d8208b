import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { RawQueryBindings } from '@adonisjs/lucid/types/querybuilder'
import features from '#config/features'
import { DomainError } from '#domain/shared/errors'
import type { AggregateType, EventType } from '#domain/events/event_types'
import { currentContext } from '#infrastructure/context/request_context'

export interface NewEvent {
  aggregateType: AggregateType
  aggregateId: string
  eventType: EventType
  payload: Record<string, unknown>
  /** Merged over the actor and request id of the current context. */
  metadata?: Record<string, unknown>
  /**
   * Optimistic concurrency: the version the caller last saw. When given, the
   * event is written as version expectedVersion + 1 if that is the next one,
   * and anything else (a newer or an unknown version stored) is a conflict.
   * When omitted, the next free version is taken. Among several events of one
   * aggregate in one append, only the first one's is checked.
   */
  expectedVersion?: number
  occurredAt?: DateTime
}

export interface RecordedEvent {
  id: string
  position: string
  aggregateType: string
  aggregateId: string
  version: number
  eventType: string
  occurredAt: Date
}

type PayloadValue = string | number | boolean | null

/** Events of one type, one per row, whose payloads have the same flat keys (see appendUniform). */
export interface UniformEvents<Row> {
  aggregateType: AggregateType
  eventType: EventType
  rows: Row[]
  aggregateId: (row: Row) => string
  /** key -> the value of that key for a row */
  payload: Record<string, (row: Row) => PayloadValue>
  metadata?: Record<string, unknown>
  occurredAt?: DateTime
}

/** The PostgreSQL array type that carries a payload column and comes out as the same JSON. */
function arrayType(key: string, values: PayloadValue[]): 'text' | 'numeric' | 'boolean' {
  const kinds = new Set(values.filter((v) => v !== null).map((v) => typeof v))
  if (kinds.size === 0 || (kinds.size === 1 && kinds.has('string'))) return 'text'
  if (kinds.size === 1 && kinds.has('number')) return 'numeric'
  if (kinds.size === 1 && kinds.has('boolean')) return 'boolean'
  throw new Error(`appendUniform: payload.${key} mixes ${[...kinds].join(', ')}`)
}

const VERSION_CONSTRAINT = 'event_store_aggregate_version_unique'

/**
 * Appends events to the event store inside the caller's transaction, so an
 * event exists exactly when the change it records was committed.
 */
export class EventRecorder {
  get enabled() {
    return features.eventStore
  }

  /** The metadata every event of the current context carries (actor, request id). */
  contextMetadata(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const context = currentContext()
    const metadata: Record<string, unknown> = {}
    if (context.actor) metadata.actor = context.actor
    if (context.requestId) metadata.requestId = context.requestId
    return { ...metadata, ...extra }
  }

  /** Maps a clash on the (aggregate, version) constraint to the domain's conflict error. */
  translateConflict(error: unknown): unknown {
    const pgError = error as { code?: string; constraint?: string; table?: string; column?: string }
    const versionTaken = pgError.code === '23505' && pgError.constraint === VERSION_CONSTRAINT
    // an expected version that is not the stored one (see nextVersion)
    const versionStale =
      pgError.code === '23502' && pgError.table === 'event_store' && pgError.column === 'version'
    if (versionTaken || versionStale) {
      return new DomainError(
        'E_VERSION_CONFLICT',
        'The record is not at the version this change expected (another change may have been saved first); reload it and try again'
      )
    }
    return error
  }

  async append(trx: TransactionClientContract, event: NewEvent): Promise<RecordedEvent | null> {
    if (!this.enabled) return null
    const [recorded] = await this.appendMany(trx, [event])
    return recorded
  }

  /**
   * Several events in one statement (a batch of snapshots records one event
   * per snapshot). Versions are assigned per aggregate in input order.
   */
  async appendMany(trx: TransactionClientContract, events: NewEvent[]): Promise<RecordedEvent[]> {
    if (!this.enabled || events.length === 0) return []
    const baseMetadata = this.contextMetadata()

    const rows = events.map((event, index) => ({
      ord: index,
      aggregate_type: event.aggregateType,
      aggregate_id: event.aggregateId,
      expected_version: event.expectedVersion ?? null,
      event_type: event.eventType,
      payload: event.payload,
      metadata: { ...baseMetadata, ...event.metadata },
      occurred_at: (event.occurredAt ?? DateTime.utc()).toISO(),
    }))

    const result = await this.run(
      trx,
      `select * from jsonb_to_recordset(?::jsonb) as x(
         ord int, aggregate_type text, aggregate_id uuid, expected_version int,
         event_type text, payload jsonb, metadata jsonb, occurred_at timestamptz)`,
      [JSON.stringify(rows)],
      true,
      allDistinct(events.map((e) => `${e.aggregateType}:${uuidKey(e.aggregateId)}`))
    )
    return result.map((row) => ({
      id: row.id as string,
      position: String(row.position),
      aggregateType: row.aggregate_type as string,
      aggregateId: row.aggregate_id as string,
      version: row.version as number,
      eventType: row.event_type as string,
      occurredAt: row.occurred_at as Date,
    }))
  }

  /**
   * One event per row, all of one type, payloads with the same flat keys (a
   * batch of snapshots): each key's values travel as one array and the payload
   * objects are built in SQL. As JSON objects a thousand snapshot events are
   * ~630 KB for PostgreSQL to parse (bench/RESULTS.md: 45–56 → 42–44 ms an
   * append). Same versions, chain and conflict rule as appendMany; nothing
   * returned, and nothing computed while the event store is off.
   */
  async appendUniform<Row>(
    trx: TransactionClientContract,
    batch: UniformEvents<Row>
  ): Promise<void> {
    if (!this.enabled || batch.rows.length === 0) return
    const keys = Object.keys(batch.payload)
    const columns = keys.map((key, index) => {
      const values = batch.rows.map(batch.payload[key])
      return { alias: `c${index}`, type: arrayType(key, values), values }
    })
    const pairs = columns.map((c) => `?::text, x.${c.alias}`).join(', ')
    const aggregateIds = batch.rows.map(batch.aggregateId)
    await this.run(
      trx,
      `select (x.ord - 1)::int as ord, ?::text as aggregate_type, x.aggregate_id,
              null::int as expected_version, ?::text as event_type,
              jsonb_build_object(${pairs}) as payload, ?::jsonb as metadata, ?::timestamptz as occurred_at
       from unnest(?::uuid[]${columns.map((c) => `, ?::${c.type}[]`).join('')})
            with ordinality as x(aggregate_id${columns.map((c) => `, ${c.alias}`).join('')}, ord)`,
      [
        batch.aggregateType,
        batch.eventType,
        ...keys,
        JSON.stringify({ ...this.contextMetadata(), ...batch.metadata }),
        (batch.occurredAt ?? DateTime.utc()).toISO(),
        aggregateIds,
        ...columns.map((c) => c.values),
      ],
      false,
      allDistinct(aggregateIds.map(uuidKey))
    )
  }

  /**
   * The append statement over an input relation (ord, aggregate_type,
   * aggregate_id, expected_version, event_type, payload, metadata, occurred_at).
   * `distinct`: no aggregate occurs twice in the input, so no event chains onto
   * another of the same statement.
   */
  private async run(
    trx: TransactionClientContract,
    input: string,
    bindings: unknown[],
    returning: boolean,
    distinct: boolean
  ): Promise<Record<string, unknown>[]> {
    const insert = `insert into event_store (aggregate_type, aggregate_id, version, event_type, payload, metadata, occurred_at, hash)`
    const returned = returning
      ? 'returning id, position, aggregate_type, aggregate_id, version, event_type, occurred_at'
      : ''
    // One round trip: the next version of each aggregate is computed in SQL
    // from the current maximum (plus, when an aggregate has several events here,
    // the event's rank among them). Two transactions racing for the same
    // version block on the unique index; the loser gets 23505 -> conflict.
    const sql = distinct
      ? // The usual batch (one snapshot per position): each event chains onto its
        // aggregate's last stored one directly. The recursive form below costs
        // ~6 ms more per 1,000 events (bench/RESULTS.md) for its sorts and joins.
        `
        with input as (${input})
        ${insert}
        select i.aggregate_type, i.aggregate_id, v.version, i.event_type, i.payload, i.metadata, i.occurred_at,
               event_hash(coalesce(last.hash, cp.hash), i.aggregate_type, i.aggregate_id, v.version,
                          i.event_type, i.payload, i.metadata, i.occurred_at)
        from input i
        ${lastEventOf('i')}
        cross join lateral (select ${nextVersion('i', 'coalesce(last.version, cp.version, 0)')} as version) v
        order by i.ord
        ${returned}
        `
      : `
        with recursive input as (${input}),
        ranked as (
          select input.*,
                 row_number() over (partition by aggregate_type, aggregate_id order by ord) as rank
          from input
        ),
        current as (
          select r.aggregate_type, r.aggregate_id,
                 coalesce(last.version, cp.version, 0) as version, coalesce(last.hash, cp.hash) as hash
          from (select distinct aggregate_type, aggregate_id from input) r
          ${lastEventOf('r')}
        ),
        -- the hash chain: each event hashes over the previous version's hash (docs/adr/0004)
        chain as (
          select r.ord, r.rank, r.aggregate_type, r.aggregate_id, v.version,
                 event_hash(c.hash, r.aggregate_type, r.aggregate_id, v.version,
                            r.event_type, r.payload, r.metadata, r.occurred_at) as hash
          from ranked r join current c using (aggregate_type, aggregate_id)
          cross join lateral (select ${nextVersion('r', 'c.version')} as version) v
          where r.rank = 1
          union all
          select r.ord, r.rank, r.aggregate_type, r.aggregate_id, ch.version + 1,
                 event_hash(ch.hash, r.aggregate_type, r.aggregate_id, ch.version + 1,
                            r.event_type, r.payload, r.metadata, r.occurred_at)
          from chain ch
          join ranked r on r.aggregate_type = ch.aggregate_type and r.aggregate_id = ch.aggregate_id
                       and r.rank = ch.rank + 1
        )
        ${insert}
        select r.aggregate_type, r.aggregate_id, ch.version, r.event_type, r.payload, r.metadata, r.occurred_at, ch.hash
        from ranked r
        join chain ch on ch.ord = r.ord
        order by r.ord
        ${returned}
        `
    try {
      // array bindings may hold nulls (pg sends NULL); Lucid's binding type has no room for them
      const result = await trx.rawQuery(sql, bindings as RawQueryBindings)
      return result.rows
    } catch (error) {
      throw this.translateConflict(error)
    }
  }
}

const allDistinct = (keys: string[]) => new Set(keys).size === keys.length

/** A uuid as PostgreSQL compares it: case, braces and hyphens do not make another one. */
const uuidKey = (id: string) => id.replace(/[^0-9a-f]/gi, '').toLowerCase()

/**
 * The version after `current` for the event `row`; null when the event names
 * an expected version other than `current`. The NOT NULL on version then
 * fails the whole statement (translated to a conflict) rather than writing a
 * duplicate or leaving a gap in the chain.
 */
function nextVersion(row: string, current: string) {
  return `case when ${row}.expected_version is null or ${row}.expected_version = ${current} then ${current} + 1 end`
}

/**
 * The last stored version and hash of the aggregate of each `row` (as `last`),
 * or, when all its events were archived, of its checkpoint (as `cp`): one
 * backward probe of the unique index per aggregate, however long its history
 * (the checkpoint is probed only then: the one-time filter on last.version
 * skips it otherwise).
 */
function lastEventOf(row: string) {
  return `
    left join lateral (
      select e.version, e.hash from event_store e
      where e.aggregate_type = ${row}.aggregate_type and e.aggregate_id = ${row}.aggregate_id
      order by e.version desc
      limit 1
    ) last on true
    left join lateral (
      select c.version, c.hash from event_store_checkpoints c
      where last.version is null
        and c.aggregate_type = ${row}.aggregate_type and c.aggregate_id = ${row}.aggregate_id
      order by c.version desc
      limit 1
    ) cp on true`
}

const eventRecorder = new EventRecorder()
export default eventRecorder
