/*
 * Recurring jobs, registered when a worker boots (`node ace queue:work`, which
 * `pnpm worker`, `pnpm start` and `pnpm dev` run). Registration is an upsert
 * by id, and workers claim a due schedule with SELECT ... FOR UPDATE SKIP
 * LOCKED: each runs once per period however many workers there are.
 */
if (process.env.ACE_COMMAND === 'queue:work') {
  const { registerSchedules } = await import('#infrastructure/queue/schedules')
  await registerSchedules()
  // The event integrator, woken by appends (docs/adr/0012); one pass at a time across workers.
  const { startIntegratorLoop } = await import('#services/events/integrator_loop')
  startIntegratorLoop()
}
