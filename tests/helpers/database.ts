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

/** Deletes every row the tests wrote, children first; event_store needs its guard lifted. */
export async function truncateAll() {
  await db.transaction(async (trx) => {
    await trx.rawQuery('alter table event_store disable trigger event_store_no_truncate')
    await trx.rawQuery(
      'truncate event_store, queue_jobs, queue_schedules, delivery_pacing, telegram_link_codes, digest_runs, alerts, intents, positions, signals, siwe_nonces, rate_limits, api_client_tokens, api_clients, auth_access_tokens, users restart identity cascade'
    )
    await trx.rawQuery('alter table event_store enable trigger event_store_no_truncate')
  })
}
