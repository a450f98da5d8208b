import { DateTime } from 'luxon'
import { DomainError } from '#domain/shared/errors'

/**
 * Opaque keyset cursors: base64url of a small JSON tuple. Opaque so clients
 * cannot build them, validated on the way back in so a forged one is a 422,
 * never a 500.
 */
export function encodeCursor(values: (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url')
}

export function decodeCursor<T extends (string | number)[]>(
  cursor: string,
  check: (values: unknown[]) => values is T
): T {
  let values: unknown
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    values = null
  }
  if (!Array.isArray(values) || !check(values)) {
    throw new DomainError('E_INVALID_CURSOR', 'The cursor is not valid', 'cursor')
  }
  return values
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const DIGITS = /^\d{1,20}$/
const MAX_XID8 = 2n ** 64n - 1n
const MAX_BIGINT = 2n ** 63n - 1n

/**
 * An instant PostgreSQL can cast: the shape alone lets through days that do
 * not exist (02-30) and year 0, which fail the query, a 500.
 */
function isInstant(value: unknown): value is string {
  if (typeof value !== 'string' || !ISO.test(value)) return false
  const instant = DateTime.fromISO(value, { zone: 'utc' })
  return instant.isValid && instant.year >= 1
}

/** A (timestamp, id) keyset position, the shape every newest-first list uses. */
export function isInstantIdPair(values: unknown[]): values is [string, string] {
  return (
    values.length === 2 &&
    isInstant(values[0]) &&
    typeof values[1] === 'string' &&
    UUID.test(values[1])
  )
}

/**
 * An event store position, (writing transaction, position): an xid8 and a
 * bigint. Past their ranges the cast fails in the query — for the alert
 * stream, the one query that serves every open stream of the process.
 */
export function isTxPosition(values: unknown[]): values is [string, string] {
  if (values.length !== 2 || !values.every((v) => typeof v === 'string' && DIGITS.test(v))) {
    return false
  }
  const [tx, position] = values as [string, string]
  return BigInt(tx) <= MAX_XID8 && BigInt(position) <= MAX_BIGINT
}

export function isIdOnly(values: unknown[]): values is [string] {
  return values.length === 1 && typeof values[0] === 'string' && UUID.test(values[0])
}

export interface Page<T> {
  data: T[]
  nextCursor: string | null
}

interface NewestFirstQuery<T> {
  whereRaw(sql: string, bindings: string[]): unknown
  orderBy(columns: { column: string; order: 'desc' }[]): { limit(n: number): Promise<T[]> }
}

/**
 * Newest first, keyset-paginated on (instant column, id): every row appears
 * exactly once across pages, even when rows arrive between pages (newer ones
 * sort before the cursor and never shift later pages).
 */
export async function newestFirstPage<T extends { id: string }>(
  query: NewestFirstQuery<T>,
  column: string,
  instantOf: (row: T) => string,
  { limit = 50, cursor }: { limit?: number; cursor?: string }
): Promise<Page<T>> {
  if (cursor) {
    const [at, id] = decodeCursor(cursor, isInstantIdPair)
    query.whereRaw(`(${column}, id) < (?::timestamptz, ?::uuid)`, [at, id])
  }
  const rows = await query
    .orderBy([
      { column, order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(limit + 1)
  const hasMore = rows.length > limit
  const data = hasMore ? rows.slice(0, limit) : rows
  const last = data.at(-1)
  return { data, nextCursor: hasMore && last ? encodeCursor([instantOf(last), last.id]) : null }
}

interface IdQuery<T> {
  where(column: string, operator: string, value: string): unknown
  orderBy(column: string, order: 'desc'): { limit(n: number): Promise<T[]> }
}

/**
 * Newest first by UUIDv7 id alone (ids are time-ordered): for rows created
 * many at a time, where created_at ties would need a second key anyway.
 */
export async function newestIdFirstPage<T extends { id: string }>(
  query: IdQuery<T>,
  { limit = 50, cursor }: { limit?: number; cursor?: string }
): Promise<Page<T>> {
  if (cursor) query.where('id', '<', decodeCursor(cursor, isIdOnly)[0])
  const rows = await query.orderBy('id', 'desc').limit(limit + 1)
  const hasMore = rows.length > limit
  const data = hasMore ? rows.slice(0, limit) : rows
  const last = data.at(-1)
  return { data, nextCursor: hasMore && last ? encodeCursor([last.id]) : null }
}
