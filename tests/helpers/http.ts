import env from '#start/env'

/**
 * A raw HTTP request to the test server, for bodies the Japa client would
 * re-encode (malformed JSON, oversized payloads).
 */
export function rawRequest(path: string, init: RequestInit) {
  const host = env.get('HOST', '127.0.0.1')
  const port = env.get('PORT', 3333)
  return fetch(`http://${host}:${port}${path}`, init)
}
