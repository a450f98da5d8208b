import mail from '@adonisjs/mail/services/main'
import delivery from '#config/delivery'
import type { EmailBodies } from '#domain/delivery/render'
import type { SendOutcome } from '#domain/delivery/outcome'

/**
 * One email through @adonisjs/mail (SMTP). A 5xx SMTP reply (mailbox unknown,
 * rejected) is permanent; 4xx replies and network errors are retried.
 */
export async function sendEmail(to: string, bodies: EmailBodies): Promise<SendOutcome> {
  if (!delivery.mail.configured) return { kind: 'permanent', error: 'SMTP is not configured' }
  try {
    await mail.send((message) => {
      message.to(to).subject(bodies.subject).text(bodies.text).html(bodies.html)
    })
    return { kind: 'sent' }
  } catch (error) {
    const e = error as Error & { responseCode?: number; code?: string }
    const what = `SMTP${e.responseCode ? ` ${e.responseCode}` : ''}: ${e.message}`
    if (e.responseCode && e.responseCode >= 500) return { kind: 'permanent', error: what }
    return { kind: 'transient', error: what }
  }
}
