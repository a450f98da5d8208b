import { Job } from '@adonisjs/queue'
import type { JobOptions } from '@adonisjs/queue/types'
import { exportAnchor } from '#services/events/anchor'

/** Every minute: the newest block's `block:hash` leaves the database (a log line, a file). */
export default class ExportEventAnchorJob extends Job<Record<string, never>> {
  static options: JobOptions = { queue: 'default', maxRetries: 1 }

  async execute() {
    await exportAnchor()
  }
}
