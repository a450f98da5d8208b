import { integrateNow } from '#services/events/integrator'

/**
 * Seals what has committed (docs/adr/0012), as the worker's integrator would
 * within a pass: what a test calls before it reads events — through the API,
 * or journal-fed ones (positions, alerts) from the table.
 */
export async function integrated() {
  await integrateNow()
}
