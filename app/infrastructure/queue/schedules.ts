import db from '@adonisjs/lucid/services/db'
import { exactInstant } from '#infrastructure/database/exact_instant'
import ExpireSignalsJob from '#jobs/expire_signals_job'
import EscalateAlertsJob from '#jobs/escalate_alerts_job'
import SweepDeliveriesJob from '#jobs/sweep_deliveries_job'
import SendDigestsJob from '#jobs/send_digests_job'
import ExpireIntentsJob from '#jobs/expire_intents_job'
import IntegrateEventsJob from '#jobs/integrate_events_job'
import ExportEventAnchorJob from '#jobs/export_event_anchor_job'
import SyncChainJob from '#jobs/sync_chain_job'
import chainSync from '#services/chain/chain_sync'

/**
 * Registers (or updates) a schedule without delaying it. The queue's
 * registration sets the next run to now + period on every call, and every
 * worker registers at boot: workers restarting more often than a period (a
 * crash loop, a rolling deploy, scaling out) pushed escalation, expiry and
 * the delivery sweeper back each time — never run, as long as restarts kept
 * coming. A next run already due sooner is kept.
 */
export async function registerSchedule(id: string, run: () => Promise<unknown>) {
  // as exact text: Dates would cut microseconds, and the equality below would never hold
  const { rows } = await db.rawQuery(
    `select ${exactInstant('next_run_at')} as next_run_at, ${exactInstant('last_run_at')} as last_run_at
       from queue_schedules where id = ?`,
    [id]
  )
  await run()
  const before = rows[0]
  if (!before?.next_run_at) return
  // not if a worker ran it meanwhile: its next run is then the one to keep
  await db.rawQuery(
    `update queue_schedules set next_run_at = ?::timestamptz
      where id = ? and next_run_at > ?::timestamptz
        and last_run_at is not distinct from ?::timestamptz`,
    [before.next_run_at, id, before.next_run_at, before.last_run_at]
  )
}

/** The recurring jobs; each runs once per period however many workers there are. */
export async function registerSchedules() {
  // SIGNAL_EXPIRY_EVERY shortens the period in tests.
  await registerSchedule('expire-signals', () =>
    ExpireSignalsJob.schedule({})
      .id('expire-signals')
      .every((process.env.SIGNAL_EXPIRY_EVERY ?? '1m') as '1m')
      .run()
  )
  await registerSchedule('escalate-alerts', () =>
    EscalateAlertsJob.schedule({}).id('escalate-alerts').every('1m').run()
  )
  await registerSchedule('daily-digests', () =>
    SendDigestsJob.schedule({}).id('daily-digests').every('1m').run()
  )
  await registerSchedule('expire-intents', () =>
    ExpireIntentsJob.schedule({}).id('expire-intents').every('1m').run()
  )
  // The event integrator's fallback: workers run its prompt loop too (start/scheduler.ts).
  await registerSchedule('integrate-events', () =>
    IntegrateEventsJob.schedule({}).id('integrate-events').every('5s').run()
  )
  await registerSchedule('export-event-anchor', () =>
    ExportEventAnchorJob.schedule({}).id('export-event-anchor').every('1m').run()
  )
  // Retries, alerts released by quiet hours, crashed senders' leases, lost kicks.
  await registerSchedule('sweep-deliveries', () =>
    SweepDeliveriesJob.schedule({})
      .id('sweep-deliveries')
      .every((process.env.DELIVERY_SWEEP_EVERY ?? '10s') as '10s')
      .run()
  )
  // Chain sync: one schedule per configured chain (none without CHAIN_RPC_URLS).
  const every = `${chainSync.settings.syncIntervalSeconds}s` as '60s'
  for (const chainId of chainSync.chains()) {
    await registerSchedule(`chain-sync-${chainId}`, () =>
      SyncChainJob.schedule({ chainId }).id(`chain-sync-${chainId}`).every(every).run()
    )
  }
}
