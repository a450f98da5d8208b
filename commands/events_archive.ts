import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { DateTime } from 'luxon'

export default class EventsArchive extends BaseCommand {
  static commandName = 'events:archive'
  static description =
    'Move events older than an instant into a gzip JSON-lines file, leaving per-aggregate checkpoints so the chain and state rebuilds still hold'
  static options: CommandOptions = { startApp: true }

  @flags.string({
    description: 'Archive events that occurred before this ISO instant',
    required: true,
  })
  declare before: string

  @flags.string({
    description: 'The file to write (must not exist), e.g. events-2026-10.jsonl.gz',
    required: true,
  })
  declare out: string

  async run() {
    const before = DateTime.fromISO(this.before, { setZone: true })
    if (!before.isValid || !/(Z|[+-]\d\d:\d\d)$/.test(this.before)) {
      this.logger.error('--before must be an ISO instant with a zone, e.g. 2026-10-01T00:00:00Z')
      this.exitCode = 1
      return
    }
    const { archiveEvents } = await import('#services/events/archive')
    let report
    try {
      report = await archiveEvents(before, this.out)
    } catch (error) {
      this.logger.error((error as Error).message)
      this.exitCode = 1
      return
    }
    if (!report) {
      this.logger.info(`no event occurred before ${before.toUTC().toISO()}: nothing archived`)
      return
    }
    this.logger.success(
      `archived ${report.events} events of ${report.aggregates} aggregates (positions ${report.firstPosition}–${report.lastPosition}) to ${report.file}`
    )
    // Alone on the last line: keep it with the file (and outside the database).
    this.logger.log(`sha256 ${report.sha256}`)
  }
}
