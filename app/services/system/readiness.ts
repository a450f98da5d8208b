import db from '@adonisjs/lucid/services/db'

export interface ReadinessReport {
  ready: boolean
  checks: Record<string, { ok: boolean; message?: string; durationMs: number }>
}

async function timed(check: () => Promise<unknown>, timeoutMs: number) {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
      }),
    ])
    return { ok: true, durationMs: Math.round(performance.now() - started) }
  } catch (error) {
    return {
      ok: false,
      message: error instanceof Error ? error.message : 'check failed',
      durationMs: Math.round(performance.now() - started),
    }
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Whether this process can serve traffic: the database answers. Later
 * subsystems (the queue) add their own checks here.
 */
export async function checkReadiness(): Promise<ReadinessReport> {
  const database = await timed(() => db.rawQuery('select 1'), 1_500)
  return { ready: database.ok, checks: { database } }
}
