import db from '@adonisjs/lucid/services/db'

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

const APPEND_ONLY = ['event_store', 'event_store_checkpoints', 'event_store_archives']

/** Deletes every row the tests wrote, children first; the append-only tables need their guard lifted. */
export async function truncateAll() {
  await db.transaction(async (trx) => {
    for (const table of APPEND_ONLY) {
      await trx.rawQuery(`alter table ${table} disable trigger ${table}_no_truncate`)
    }
    await trx.rawQuery(
      'truncate event_store, event_store_checkpoints, event_store_archives, queue_jobs, queue_schedules, delivery_pacing, telegram_link_codes, digest_runs, alerts, intents, positions, price_history, signals, siwe_nonces, rate_limits, api_client_tokens, api_clients, auth_access_tokens, users restart identity cascade'
    )
    for (const table of APPEND_ONLY) {
      await trx.rawQuery(`alter table ${table} enable trigger ${table}_no_truncate`)
    }
  })
}
