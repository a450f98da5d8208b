import { Job } from '@adonisjs/queue'
import type { JobOptions } from '@adonisjs/queue/types'
import { integrateEvents } from '#services/events/integrator'

/**
 * Scheduled: integration passes while they find work. Workers also run the
 * prompt loop (start/scheduler.ts); this catches what a dead loop or a lost
 * notification left, within the schedule's period.
 */
export default class IntegrateEventsJob extends Job<Record<string, never>> {
  static options: JobOptions = { queue: 'default', maxRetries: 1 }

  async execute() {
    for (let i = 0; i < 10; i++) {
      const pass = await integrateEvents()
      if (!pass.ran || !pass.block) return
    }
  }
}
