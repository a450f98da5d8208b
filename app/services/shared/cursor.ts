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

/** A (timestamp, id) keyset position, the shape every newest-first list uses. */
export function isInstantIdPair(values: unknown[]): values is [string, string] {
  return (
    values.length === 2 &&
    typeof values[0] === 'string' &&
    ISO.test(values[0]) &&
    typeof values[1] === 'string' &&
    UUID.test(values[1])
  )
}

export function isIdOnly(values: unknown[]): values is [string] {
  return values.length === 1 && typeof values[0] === 'string' && UUID.test(values[0])
}
