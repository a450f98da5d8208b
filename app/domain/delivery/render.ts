/**
 * How an alert looks on each channel. Everything in an alert's message can
 * come from a user or a feed (asset symbols, signal data), so it is escaped for
 * the medium, never trusted as markup.
 */

export const TELEGRAM_MESSAGE_LIMIT = 4096

export interface RenderableAlert {
  id: string
  type: string
  severity: 'low' | 'medium' | 'high' | 'critical'
  message: string
  createdAt: string
  metadata: Record<string, unknown>
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
}

/** The escaping Telegram's HTML parse mode needs (and e-mail HTML bodies too). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => HTML_ESCAPES[c])
}

/**
 * Escapes `text` and cuts it so the escaped result is at most `budget`
 * characters, never inside an entity and never between the two halves of a
 * surrogate pair; a cut ends with "…".
 */
export function escapeWithin(text: string, budget: number): string {
  const full = escapeHtml(text)
  if (full.length <= budget) return full
  let out = ''
  for (const ch of text) {
    const piece = HTML_ESCAPES[ch] ?? ch
    if (out.length + piece.length + 1 > budget) break
    out += piece
  }
  return `${out}…`
}

const SEVERITY_MARK: Record<RenderableAlert['severity'], string> = {
  low: 'ℹ️',
  medium: '⚠️',
  high: '🟠',
  critical: '🔴',
}

export function titleOf(alert: Pick<RenderableAlert, 'type' | 'severity'>): string {
  const name = alert.type.replaceAll('_', ' ')
  return `${alert.severity.toUpperCase()} · ${name.charAt(0).toUpperCase()}${name.slice(1)}`
}

/** Telegram HTML: a bold title and the escaped message, within 4,096 characters. */
export function telegramHtml(
  alert: Pick<RenderableAlert, 'type' | 'severity' | 'message'>
): string {
  const head = `${SEVERITY_MARK[alert.severity]} <b>${escapeHtml(titleOf(alert))}</b>\n`
  return head + escapeWithin(alert.message, TELEGRAM_MESSAGE_LIMIT - head.length)
}

export interface EmailBodies {
  subject: string
  text: string
  html: string
}

export function emailBodies(
  alert: Pick<RenderableAlert, 'type' | 'severity' | 'message'>
): EmailBodies {
  const title = titleOf(alert)
  // Header injection is impossible through nodemailer, but a subject stays one short line.
  const subject = `[DeFi Assistant] ${title}`.replace(/[\r\n]+/g, ' ').slice(0, 200)
  const text = `${title}\n\n${alert.message}\n\n— DeFi Assistant. Manage notifications in your dashboard settings.\n`
  const html =
    `<!doctype html><html><body style="font-family:sans-serif">` +
    `<h2>${escapeHtml(title)}</h2>` +
    `<p style="white-space:pre-wrap">${escapeHtml(alert.message)}</p>` +
    `<p style="color:#666;font-size:12px">DeFi Assistant. Manage notifications in your dashboard settings.</p>` +
    `</body></html>`
  return { subject, text, html }
}

/** The JSON body POSTed to a user's webhook. Stable, documented field names. */
export function webhookBody(alert: RenderableAlert): string {
  return JSON.stringify({
    type: 'alert',
    alert: {
      id: alert.id,
      type: alert.type,
      severity: alert.severity,
      message: alert.message,
      createdAt: alert.createdAt,
      metadata: alert.metadata,
    },
  })
}
