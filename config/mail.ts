import env from '#start/env'
import type { InferMailers } from '@adonisjs/mail/types'
import { defineConfig, transports } from '@adonisjs/mail'

/*
 * Email alerts over SMTP. Without SMTP_HOST the email channel fails its
 * alerts with a clear last_error rather than pretending to send them.
 */
const mailConfig = defineConfig({
  default: 'smtp',
  from: env.get('MAIL_FROM') || 'DeFi Assistant <alerts@localhost>',
  mailers: {
    smtp: transports.smtp({
      host: env.get('SMTP_HOST') || 'localhost',
      port: env.get('SMTP_PORT', 587),
      secure: env.get('SMTP_PORT') === 465,
      auth: env.get('SMTP_USER')
        ? {
            type: 'login',
            user: env.get('SMTP_USER')!,
            pass: env.get('SMTP_PASSWORD')?.release() ?? '',
          }
        : undefined,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    }),
  },
})

export default mailConfig

declare module '@adonisjs/mail/types' {
  export interface MailersList extends InferMailers<typeof mailConfig> {}
}
