/*
 * Recurring jobs, registered when a worker boots (`node ace queue:work`, which
 * `pnpm worker`, `pnpm start` and `pnpm dev` run). Registration is an upsert
 * by id, and workers claim a due schedule with SELECT ... FOR UPDATE SKIP
 * LOCKED: each runs once per period however many workers there are.
 */
import ExpireSignalsJob from '#jobs/expire_signals_job'
import EscalateAlertsJob from '#jobs/escalate_alerts_job'
import SweepDeliveriesJob from '#jobs/sweep_deliveries_job'
import SendDigestsJob from '#jobs/send_digests_job'
import ExpireIntentsJob from '#jobs/expire_intents_job'

if (process.env.ACE_COMMAND === 'queue:work') {
  // SIGNAL_EXPIRY_EVERY shortens the period in tests.
  await ExpireSignalsJob.schedule({})
    .id('expire-signals')
    .every((process.env.SIGNAL_EXPIRY_EVERY ?? '1m') as '1m')
    .run()
  await EscalateAlertsJob.schedule({}).id('escalate-alerts').every('1m').run()
  await SendDigestsJob.schedule({}).id('daily-digests').every('1m').run()
  await ExpireIntentsJob.schedule({}).id('expire-intents').every('1m').run()
  // Retries, alerts released by quiet hours, crashed senders' leases, lost kicks.
  await SweepDeliveriesJob.schedule({})
    .id('sweep-deliveries')
    .every((process.env.DELIVERY_SWEEP_EVERY ?? '10s') as '10s')
    .run()
}
