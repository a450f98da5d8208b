import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'

function ms(name: string, fallback: number) {
  const value = Number(process.env[name])
  return Number.isFinite(value) && value > 0 ? value : fallback
}

/**
 * The Node HTTP server the API runs on, with timeouts a public API needs.
 * Node's defaults give a client 60 s to send its headers and 5 minutes for
 * the whole request: a few hundred slow-loris connections trickling bytes
 * would hold sockets and memory that long. Responses are not limited —
 * the alert stream stays open for hours.
 */
export function createHttpServer(handler: (req: IncomingMessage, res: ServerResponse) => any) {
  const requestTimeout = ms('HTTP_REQUEST_TIMEOUT_MS', 15_000)
  const server = createServer(
    {
      requestTimeout,
      headersTimeout: Math.min(ms('HTTP_HEADERS_TIMEOUT_MS', 10_000), requestTimeout),
      // Node checks those timeouts on this interval (30 s by default): tighter, or a
      // 15 s limit could take 45 s to bite.
      connectionsCheckingInterval: 1_000,
      keepAliveTimeout: 5_000,
    },
    handler
  )
  server.on('clientError', answerClientError)
  return server
}

const CLIENT_ERRORS: Record<string, [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [
    431,
    'Request Header Fields Too Large',
    'E_HEADERS_TOO_LARGE',
    'The request line or headers are too large',
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [
    408,
    'Request Timeout',
    'E_REQUEST_TIMEOUT',
    'The request was not received in time',
  ],
}

/**
 * Requests Node's parser refuses never reach the app (a URL over 16 KB, a
 * malformed request line, a body trickled past the timeout). Node would
 * answer them with a bare status line; they get the one error shape too.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex) {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }
  const [status, reason, code, message] = CLIENT_ERRORS[error.code ?? ''] ?? [
    400,
    'Bad Request',
    'E_BAD_REQUEST',
    'The request could not be parsed',
  ]
  const body = JSON.stringify({ errors: [{ code, message }] })
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  )
}
