/**
 * A timestamptz column as exact text — UTC, microseconds — whatever the
 * session's DateStyle and TimeZone: for values read back and compared for
 * equality (fences, write-backs) or written out (archives).
 */
export const exactInstant = (column: string) =>
  `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
