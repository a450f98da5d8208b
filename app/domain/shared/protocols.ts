/**
 * The schema document the project was specified by (shared/SEED-SCHEMA.md)
 * names protocols `aave` and `compound`; what we store, answer and prepare
 * transactions for is the versioned market (`aave_v3`, `compound_v3`). Both
 * spellings are taken everywhere a protocol comes in, and only the canonical
 * one is stored: one position is one row set whichever name the indexer used,
 * and a filter by either name finds it.
 */
export const PROTOCOL_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  aave: 'aave_v3',
  compound: 'compound_v3',
})

/**
 * The stored name of a protocol: an alias becomes its canonical name, any
 * other name is returned unchanged (protocols we know nothing about are still
 * tracked as the indexer names them). Exact match: callers validate the
 * lower_snake_case shape first, so "Aave" is refused rather than guessed at.
 */
export function canonicalProtocol(name: string): string {
  return Object.hasOwn(PROTOCOL_ALIASES, name) ? PROTOCOL_ALIASES[name] : name
}
