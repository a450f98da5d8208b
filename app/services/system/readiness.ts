import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import chainSync from '#services/chain/chain_sync'
import { chainStatuses } from '#services/chain/chain_status'
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
 * Whether this process can serve traffic: the database answers.
 *
 * `eventIntegrator` reports an event integrator behind its published maximum
 * merge delay (EVENT_MAX_MERGE_DELAY_SECONDS) without making the process
 * unready: every API replica would leave the load balancer for a fault of
 * the workers, and the API serves everything but fresh events meanwhile.
 *
 * Each configured chain is reported too (`chain:<id>`), failing when its
 * reads are stale — silence must never look like safety — and likewise
 * without making the process unready: an RPC outage is no reason for a load
 * balancer to stop serving the dashboard and the alerts already known.
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
  if (database.ok && chainSync.chains().length > 0) {
    const started = performance.now()
    try {
      for (const chain of await chainStatuses()) {
        if (!chain.enabled) continue
        checks[`chain:${chain.chainId}`] = {
          ok: !chain.stale,
          ...(chain.stale
            ? {
                message: `stale: positions on ${chain.name} not updated since ${chain.lastSuccessAt ?? 'the first attempt'}`,
              }
            : {}),
          durationMs: Math.round(performance.now() - started),
        }
      }
    } catch (error) {
      logger.warn({ err: error }, 'readiness: the chain check failed')
    }
  }
  return { ready: database.ok, checks }
}
