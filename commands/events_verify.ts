import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

export default class EventsVerify extends BaseCommand {
  static commandName = 'events:verify'
  static description =
    'Walk the event store hash chain and report the first broken link; print (or check) an anchor'
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'An anchor printed by an earlier run (position:digest) to check' })
  declare anchor?: string

  async run() {
    const { verifyChain, anchorDigest } = await import('#services/events/verify_chain')
    const report = await verifyChain()
    if (report.broken) {
      const b = report.broken
      const what =
        b.problem === 'hash'
          ? 'its stored hash does not match its content and the previous hash'
          : 'its version does not follow the previous one (an event is missing)'
      this.logger.error(
        `BROKEN at position ${b.position} (${b.aggregateType} ${b.aggregateId} v${b.version}): ${what}`
      )
      this.exitCode = 1
      return
    }
    if (this.anchor) {
      const [position, digest] = this.anchor.split(':')
      if (!/^\d+$/.test(position ?? '') || !/^[0-9a-f]{64}$/.test(digest ?? '')) {
        this.logger.error('An anchor looks like 1234:<64 hex digits>')
        this.exitCode = 1
        return
      }
      if ((await anchorDigest(position)) !== digest) {
        this.logger.error(
          `ANCHOR MISMATCH at position ${position}: events up to it were changed or removed`
        )
        this.exitCode = 1
        return
      }
      this.logger.success(`anchor ${position} still matches`)
    }
    this.logger.success(`chain intact: ${report.events} events in ${report.aggregates} aggregates`)
    // Alone on the last line: keep it outside the database to check later with --anchor.
    this.logger.log(report.anchor ?? 'no events yet')
  }
}
