import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

export type ProxyMode =
  /** forwards everything */
  | 'pass'
  /** closes every connection at once, as a dead endpoint does */
  | 'down'
  /** HTTP 429 with Retry-After, as a provider's rate limit */
  | 'rate-limited'
  /** 200 with a body that is not JSON-RPC */
  | 'garbage'

/**
 * An HTTP JSON-RPC endpoint in front of a local node whose behaviour a test
 * switches: the app talks to it exactly as to a production provider. The
 * node behind keeps its state (the deployed markets) through any outage.
 * `downAfterEthCalls` makes it die in the middle of a round, after that many
 * eth_calls have been answered.
 */
export class RpcProxy {
  #server: Server
  #sockets = new Set<Socket>()
  mode: ProxyMode = 'pass'
  /** Requests by JSON-RPC method, as received. */
  received: Record<string, number> = {}
  downAfterEthCalls: number | null = null
  /** How many requests to answer in `mode` before passing again (null: all). */
  modeBudget: number | null = null
  port = 0

  constructor(readonly target: string) {
    this.#server = createServer((req, res) => this.#handle(req, res))
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket)
      socket.on('close', () => this.#sockets.delete(socket))
    })
  }

  get url() {
    return `http://127.0.0.1:${this.port}`
  }

  async start() {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    this.port = (this.#server.address() as { port: number }).port
    return this
  }

  async stop() {
    for (const socket of this.#sockets) socket.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  async #handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    let methods: string[] = []
    try {
      const parsed = JSON.parse(body) as { method: string } | { method: string }[]
      methods = (Array.isArray(parsed) ? parsed : [parsed]).map((m) => m.method)
    } catch {
      // forwarded as is
    }
    for (const method of methods) this.received[method] = (this.received[method] ?? 0) + 1
    if (
      this.downAfterEthCalls !== null &&
      methods.includes('eth_call') &&
      (this.received.eth_call ?? 0) > this.downAfterEthCalls
    ) {
      this.mode = 'down'
      this.downAfterEthCalls = null
    }
    const mode = this.mode
    if (mode !== 'pass' && this.modeBudget !== null) {
      this.modeBudget--
      if (this.modeBudget <= 0) {
        this.mode = 'pass'
        this.modeBudget = null
      }
    }
    if (mode === 'down') {
      req.socket.destroy()
      return
    }
    if (mode === 'rate-limited') {
      res.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          error: { code: 429, message: 'Too Many Requests' },
        })
      )
      return
    }
    if (mode === 'garbage') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"jsonrpc":"2.0","id":1,"result":"0xnot-hex"}')
      return
    }
    try {
      const upstream = await fetch(this.target, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      res.writeHead(upstream.status, { 'content-type': 'application/json' })
      res.end(await upstream.text())
    } catch {
      req.socket.destroy()
    }
  }
}
