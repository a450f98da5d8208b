import type pg from 'pg'

/**
 * The event integrator running during the benchmarks, as a worker runs it
 * (docs/adr/0012): in this process, woken by the appends' notifications.
 */
export async function startIntegrator(): Promise<() => Promise<void>> {
  const { IntegratorLoop } = await import('#services/events/integrator_loop')
  const loop = new IntegratorLoop()
  loop.start()
  return () => loop.stop()
}

export async function newestJournalId(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query('select coalesce(max(id), 0)::text as id from event_journal')
  return rows[0].id
}

/**
 * Seal lag of the journal rows written since `sinceId`: from each append
 * (the row's clock_timestamp, inside its transaction) to the sealing of the
 * block that covers it. Waits for the last of them to be sealed first.
 */
export async function sealLag(pool: pg.Pool, sinceId: string, waitMs = 120_000) {
  const deadline = Date.now() + waitMs
  for (;;) {
    const { rows } = await pool.query(
      `select count(*)::int as pending from event_journal
       where id > $1 and tx >= event_store_sealed_bound()`,
      [sinceId]
    )
    if (rows[0].pending === 0) break
    if (Date.now() > deadline) throw new Error(`${rows[0].pending} appends still unsealed`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const { rows } = await pool.query(
    `select count(*)::int as n,
            percentile_cont(0.5) within group (order by lag) as p50,
            percentile_cont(0.99) within group (order by lag) as p99,
            max(lag) as max
     from (
       select extract(epoch from b.sealed_at - j.created_at) * 1000 as lag
       from event_journal j
       join event_store_blocks b on j.tx >= b.from_tx and j.tx < b.to_tx
       where j.id > $1
     ) l`,
    [sinceId]
  )
  const r = rows[0]
  return {
    appends: r.n as number,
    p50: Number(r.p50),
    p99: Number(r.p99),
    max: Number(r.max),
  }
}
