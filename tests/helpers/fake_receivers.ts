import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { simpleParser, type ParsedMail } from 'mailparser'

/** An SMTP sink (nodemailer's smtp-server): stores every message, or refuses with a scripted code. */
export class SmtpSink {
  readonly messages: ParsedMail[] = []
  /** SMTP reply codes for the next messages, e.g. 451 (try later) or 550 (no such mailbox). */
  readonly refusals: number[] = []
  private server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData: (stream, _session, callback) => {
      const code = this.refusals.shift()
      simpleParser(stream)
        .then((mail) => {
          if (code) {
            const error = new Error(
              code >= 500 ? 'Mailbox unavailable' : 'Try again later'
            ) as Error & {
              responseCode: number
            }
            error.responseCode = code
            return callback(error)
          }
          this.messages.push(mail)
          callback()
        })
        .catch(callback)
    },
  })

  async start(port: number) {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve))
    return this
  }

  async stop() {
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

export interface ReceivedRequest {
  headers: http.IncomingHttpHeaders
  body: string
}

/** An HTTP receiver for the webhook channel: records requests, answers scripted statuses. */
export class HttpReceiver {
  readonly requests: ReceivedRequest[] = []
  readonly statuses: number[] = []
  private server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      this.requests.push({ headers: req.headers, body })
      res.writeHead(this.statuses.shift() ?? 204)
      res.end()
    })
  })
  port = 0

  async start() {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
    return this
  }

  async stop() {
    this.server.closeAllConnections()
    await new Promise((resolve) => this.server.close(resolve))
  }
}
