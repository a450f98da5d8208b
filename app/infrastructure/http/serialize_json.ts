import { safeStringify } from '@poppinss/utils/json'

/**
 * How the API turns a response object into JSON (config/app.ts,
 * `serializeJSON`). The framework's default, safeStringify, is a JSON
 * serialiser written in JavaScript with a replacer called for every key: on
 * GET /positions of a user with 20 wallets (~30 positions, ~38 kB) it took
 * ~0.6 ms a request against ~0.12 ms for the native JSON.stringify, the largest
 * single cost the 20-wallet cohort added (bench/RESULTS.md, issue 26).
 *
 * The native one first; what it refuses (a BigInt, a circular reference) goes
 * to safeStringify, which writes BigInts as strings and drops circular
 * references. Both give the same text for everything else.
 */
export function serializeJson(value: unknown): string {
  try {
    return JSON.stringify(value)
  } catch {
    return safeStringify(value)!
  }
}
