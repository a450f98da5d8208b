import db from '@adonisjs/lucid/services/db'
import { INTEGRATOR_LOCK } from '#services/events/integrator'

/**
 * Runs `statement` and returns the SQLSTATE it failed with, or null when it
 * succeeded. A savepoint keeps the surrounding test transaction usable.
 */
export async function sqlStateOf(
  statement: string,
  bindings: unknown[] = []
): Promise<string | null> {
  const trx = await db.transaction()
  try {
    await trx.rawQuery(statement, bindings as any[])
    return null
  } catch (error) {
    return (error as { code?: string }).code ?? 'unknown'
  } finally {
    await trx.rollback()
  }
}

const APPEND_ONLY = [
  'event_store',
  'event_store_checkpoints',
  'event_store_archives',
  'event_journal',
  'event_store_blocks',
]

/** Deletes every row the tests wrote, children first; the append-only tables need their guard lifted. */
export async function truncateAll() {
  await db.transaction(async (trx) => {
    // an integrator pass running in this process (or a worker) would deadlock with the locks below
    await trx.rawQuery('select pg_advisory_xact_lock(?)', [INTEGRATOR_LOCK])
    for (const table of APPEND_ONLY) {
      await trx.rawQuery(`alter table ${table} disable trigger ${table}_no_truncate`)
    }
    await trx.rawQuery(
      'truncate event_store, event_store_checkpoints, event_store_archives, event_journal, event_store_blocks, queue_jobs, queue_schedules, delivery_pacing, telegram_link_codes, digest_runs, alerts, intents, positions, price_history, signals, siwe_nonces, rate_limits, api_client_tokens, api_clients, auth_access_tokens, chain_sync_state, users restart identity cascade'
    )
    for (const table of APPEND_ONLY) {
      await trx.rawQuery(`alter table ${table} enable trigger ${table}_no_truncate`)
    }
  })
}
