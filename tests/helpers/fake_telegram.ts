import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface TelegramCall {
  method: string
  payload: Record<string, any>
  at: number
}

export type ScriptedAnswer =
  | { status: 429; retryAfter: number }
  | {
      status: 403 | 400 | 500 | 502
      description?: string
      parameters?: { migrate_to_chat_id?: number }
    }
  | { delayMs: number }

/**
 * A local Bot API server: answers `POST /bot<token>/<method>` the way Telegram
 * does (`{ ok, result }` / `{ ok: false, error_code, description, parameters }`),
 * records every call, answers scripted errors per chat, and enforces
 * Telegram's limits — more than 30 messages in any second, or two to one chat
 * within a second, gets a 429 that is counted as *our* fault.
 */
export class FakeTelegram {
  readonly calls: TelegramCall[] = []
  /** 429s the server had to give because the client broke a limit. */
  limitViolations = 0
  enforceLimits = true
  /** Random failures for the resilience suite: the share of calls answered 429 or 5xx. */
  chaos = { p429: 0, p5xx: 0 }
  /** sendMessage calls answered 200, per chat: more than one is a duplicate. */
  readonly delivered = new Map<string, number>()
  /** Jitter the limits tolerate (the network and timers are not exact). */
  chatGapMs = 950
  perSecond = 30
  private readonly script = new Map<string, ScriptedAnswer[]>()
  private readonly lastByChat = new Map<string, number>()
  private readonly recent: number[] = []
  private server?: http.Server
  url = ''

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res))
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`
    return this
  }

  async stop() {
    this.server?.closeAllConnections()
    await new Promise((resolve) => this.server?.close(resolve))
  }

  /** The next answers for a chat ('*' = any chat), in order. */
  answer(chatId: string, ...answers: ScriptedAnswer[]) {
    this.script.set(chatId, [...(this.script.get(chatId) ?? []), ...answers])
  }

  sent(chatId?: string) {
    return this.calls.filter(
      (c) =>
        c.method === 'sendMessage' && (chatId === undefined || String(c.payload.chat_id) === chatId)
    )
  }

  reset() {
    this.calls.length = 0
    this.script.clear()
    this.lastByChat.clear()
    this.recent.length = 0
    this.limitViolations = 0
    this.delivered.clear()
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    let raw = ''
    req.on('data', (chunk) => (raw += chunk))
    req.on('end', async () => {
      const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '')
      if (!match)
        return this.reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' })
      const method = match[2]
      const payload = raw ? JSON.parse(raw) : {}
      const at = Date.now()
      this.calls.push({ method, payload, at })
      if (method !== 'sendMessage') return this.reply(res, 200, { ok: true, result: true })

      const chatId = String(payload.chat_id)
      const queue = this.script.get(chatId)?.length
        ? this.script.get(chatId)!
        : this.script.get('*')
      let scripted = queue?.shift()
      if (scripted && 'delayMs' in scripted) {
        await new Promise((resolve) =>
          setTimeout(resolve, scripted && 'delayMs' in scripted ? scripted.delayMs : 0)
        )
        scripted = undefined
      }
      if (scripted && 'status' in scripted) {
        if (scripted.status === 429) {
          return this.reply(res, 429, {
            ok: false,
            error_code: 429,
            description: `Too Many Requests: retry after ${scripted.retryAfter}`,
            parameters: { retry_after: scripted.retryAfter },
          })
        }
        return this.reply(res, scripted.status, {
          ok: false,
          error_code: scripted.status,
          description: scripted.description ?? `Error ${scripted.status}`,
          ...(scripted.parameters ? { parameters: scripted.parameters } : {}),
        })
      }

      const roll = Math.random()
      if (!scripted && roll < this.chaos.p429) {
        return this.reply(res, 429, {
          ok: false,
          error_code: 429,
          description: 'Too Many Requests: retry after 1',
          parameters: { retry_after: 1 },
        })
      }
      if (!scripted && roll < this.chaos.p429 + this.chaos.p5xx) {
        return this.reply(res, 502, { ok: false, error_code: 502, description: 'Bad Gateway' })
      }

      if (this.enforceLimits) {
        while (this.recent.length && this.recent[0] <= at - 1000) this.recent.shift()
        const last = this.lastByChat.get(chatId)
        if (
          this.recent.length >= this.perSecond ||
          (last !== undefined && at - last < this.chatGapMs)
        ) {
          this.limitViolations++
          return this.reply(res, 429, {
            ok: false,
            error_code: 429,
            description: 'Too Many Requests: retry after 1',
            parameters: { retry_after: 1 },
          })
        }
        this.recent.push(at)
        this.lastByChat.set(chatId, at)
      }
      this.delivered.set(chatId, (this.delivered.get(chatId) ?? 0) + 1)
      this.reply(res, 200, {
        ok: true,
        result: {
          message_id: this.calls.length,
          date: Math.floor(at / 1000),
          chat: { id: Number(chatId), type: 'private' },
          text: payload.text,
        },
      })
    })
  }

  private reply(res: http.ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
}
