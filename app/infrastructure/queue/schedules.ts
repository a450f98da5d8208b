import db from '@adonisjs/lucid/services/db'
import ExpireSignalsJob from '#jobs/expire_signals_job'
import EscalateAlertsJob from '#jobs/escalate_alerts_job'
import SweepDeliveriesJob from '#jobs/sweep_deliveries_job'
import SendDigestsJob from '#jobs/send_digests_job'
import ExpireIntentsJob from '#jobs/expire_intents_job'

/**
 * Registers (or updates) a schedule without delaying it. The queue's
 * registration sets the next run to now + period on every call, and every
 * worker registers at boot: workers restarting more often than a period (a
 * crash loop, a rolling deploy, scaling out) pushed escalation, expiry and
 * the delivery sweeper back each time — never run, as long as restarts kept
 * coming. A next run already due sooner is kept.
 */
async function register(id: string, run: () => Promise<unknown>) {
  const before = await db.from('queue_schedules').where('id', id).select('next_run_at').first()
  await run()
  if (!before?.next_run_at) return
  await db
    .from('queue_schedules')
    .where('id', id)
    .where('next_run_at', '>', before.next_run_at)
    .update({ next_run_at: before.next_run_at })
}

/** The recurring jobs; each runs once per period however many workers there are. */
export async function registerSchedules() {
  // SIGNAL_EXPIRY_EVERY shortens the period in tests.
  await register('expire-signals', () =>
    ExpireSignalsJob.schedule({})
      .id('expire-signals')
      .every((process.env.SIGNAL_EXPIRY_EVERY ?? '1m') as '1m')
      .run()
  )
  await register('escalate-alerts', () =>
    EscalateAlertsJob.schedule({}).id('escalate-alerts').every('1m').run()
  )
  await register('daily-digests', () =>
    SendDigestsJob.schedule({}).id('daily-digests').every('1m').run()
  )
  await register('expire-intents', () =>
    ExpireIntentsJob.schedule({}).id('expire-intents').every('1m').run()
  )
  // Retries, alerts released by quiet hours, crashed senders' leases, lost kicks.
  await register('sweep-deliveries', () =>
    SweepDeliveriesJob.schedule({})
      .id('sweep-deliveries')
      .every((process.env.DELIVERY_SWEEP_EVERY ?? '10s') as '10s')
      .run()
  )
}
