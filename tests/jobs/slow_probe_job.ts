import { Job } from '@adonisjs/queue'
import type { JobOptions } from '@adonisjs/queue/types'
import db from '@adonisjs/lucid/services/db'

/** Test-only: records each start, works for `ms`, records completion. */
export default class SlowProbeJob extends Job<{ probe: string; ms: number }> {
  static options: JobOptions = { queue: 'default', maxRetries: 5 }

  async execute() {
    await db.rawQuery(`insert into job_probes (probe, event) values (?, 'started')`, [
      this.payload.probe,
    ])
    await new Promise((resolve) => setTimeout(resolve, this.payload.ms))
    await db.rawQuery(`insert into job_probes (probe, event) values (?, 'completed')`, [
      this.payload.probe,
    ])
  }
}
