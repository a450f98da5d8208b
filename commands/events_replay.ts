import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

export default class EventsReplay extends BaseCommand {
  static commandName = 'events:replay'
  static description =
    'Rebuild the read side from the event store into a fresh schema and report any difference from the live tables'
  static options: CommandOptions = { startApp: true }

  @flags.string({
    description: 'A new schema to rebuild into (e.g. replay_2026_11_25)',
    required: true,
  })
  declare into: string

  async run() {
    const { replayInto } = await import('#services/events/replay')
    let report
    try {
      report = await replayInto(this.into)
    } catch (error) {
      this.logger.error((error as Error).message)
      this.exitCode = 1
      return
    }
    this.logger.info(
      `replayed ${report.users} users into "${report.schema}": ${Object.entries(report.rows)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ')}`
    )
    if (report.differences.length === 0) {
      this.logger.success('no difference from the live tables')
      return
    }
    for (const d of report.differences.slice(0, 50)) {
      this.logger.error(
        `${d.table} ${d.id} ${d.field}: live ${JSON.stringify(d.live)} / replayed ${JSON.stringify(d.replayed)}`
      )
    }
    this.logger.error(`${report.differences.length} difference(s)`)
    this.exitCode = 1
  }
}
