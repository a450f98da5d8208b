import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import eventsConfig from '#config/events'
import features from '#config/features'
import { integrationLag } from '#services/events/integrator'

const TIMED_OUT = new Error('timed out')

export interface ReadinessReport {
  ready: boolean
  checks: Record<string, { ok: boolean; message?: string; durationMs: number }>
}

/**
 * `message` is public (the route needs no token): it says what failed, never
 * the driver's words, which name hosts, ports, users and authentication
 * failures. Those go to the log.
 */
async function timed(name: string, check: () => Promise<unknown>, timeoutMs: number) {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(TIMED_OUT), timeoutMs)
      }),
    ])
    return { ok: true, durationMs: Math.round(performance.now() - started) }
  } catch (error) {
    logger.warn({ err: error }, `readiness: the ${name} check failed`)
    return {
      ok: false,
      message:
        error === TIMED_OUT ? `no answer within ${timeoutMs} ms` : `the ${name} check failed`,
      durationMs: Math.round(performance.now() - started),
    }
  } finally {
    clearTimeout(timer)
  }
}

class IntegratorBehind extends Error {}

/**
 * Whether this process can serve traffic: the database answers. Later
 * subsystems (the queue) add their own checks here.
 *
 * `eventIntegrator` reports an event integrator behind its published maximum
 * merge delay (EVENT_MAX_MERGE_DELAY_SECONDS) without making the process
 * unready: every API replica would leave the load balancer for a fault of
 * the workers, and the API serves everything but fresh events meanwhile.
 */
export async function checkReadiness(): Promise<ReadinessReport> {
  const database = await timed('database', () => db.rawQuery('select 1'), 1_500)
  const checks: ReadinessReport['checks'] = { database }
  if (database.ok && features.eventStore) {
    let behind: string | undefined
    const integrator = await timed(
      'event integrator',
      async () => {
        const { backlogSeconds } = await integrationLag()
        if (backlogSeconds > eventsConfig.maxMergeDelaySeconds) {
          behind = `the event integrator is behind: the oldest unsealed append waited ${Math.round(backlogSeconds)} s (maximum merge delay ${eventsConfig.maxMergeDelaySeconds} s)`
          throw new IntegratorBehind(behind)
        }
      },
      1_500
    )
    checks.eventIntegrator = behind ? { ...integrator, message: behind } : integrator
  }
  return { ready: database.ok, checks }
}
