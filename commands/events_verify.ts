import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import type { BrokenLink } from '#services/events/verify_chain'

const PROBLEMS: Record<BrokenLink['problem'], string> = {
  hash: 'its stored hash does not match its content and the previous hash',
  gap: 'its version does not follow the previous one (an event is missing)',
  checkpoint: "the archive's last event and the checkpoint left in the store differ",
}

export default class EventsVerify extends BaseCommand {
  static commandName = 'events:verify'
  static description =
    'Walk the event store hash chain and report the first broken link; print (or check) an anchor'
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'An anchor printed by an earlier run (position:digest) to check' })
  declare anchor?: string

  @flags.array({
    description:
      'An archive file written by events:archive to check too (repeatable); anchors older than archived events need them',
  })
  declare archive?: string[]

  async run() {
    const { verifyChain, anchorDigest } = await import('#services/events/verify_chain')
    const { checkArchive } = await import('#services/events/archive')
    const { default: db } = await import('@adonisjs/lucid/services/db')
    const [position, digest] = (this.anchor ?? '').split(':')
    if (this.anchor && (!/^\d+$/.test(position ?? '') || !/^[0-9a-f]{64}$/.test(digest ?? ''))) {
      return this.fail('An anchor looks like 1234:<64 hex digits>')
    }
    // One transaction: the archives' events live in a temporary table until it ends.
    const trx = await db.transaction()
    try {
      // The API's 30 s statement timeout is for requests: walking a store of a few
      // million events takes longer (a cold run over 1.3M here hit it).
      await trx.rawQuery('set local statement_timeout = 0')
      const report = await verifyChain(trx)
      if (report.broken) return this.fail(this.describe(report.broken))
      for (const file of this.archive ?? []) {
        const check = await checkArchive(trx, file)
        if (check.problem) return this.fail(`ARCHIVE ${file}: ${check.problem}`)
        if (check.broken) return this.fail(this.describe(check.broken, file))
        this.logger.success(`archive ${file}: ${check.events} events, chained into the store`)
      }
      if (this.anchor) {
        const archived = this.archive?.length ? 'archived_events' : undefined
        if ((await anchorDigest(position, trx, archived)) !== digest) {
          return this.fail(
            `ANCHOR MISMATCH at position ${position}: events up to it were changed or removed` +
              (archived
                ? ''
                : ' (an anchor older than archived events needs their --archive files)')
          )
        }
        this.logger.success(`anchor ${position} still matches`)
      }
      this.logger.success(
        `chain intact: ${report.events} events in ${report.aggregates} aggregates`
      )
      // Alone on the last line: keep it outside the database to check later with --anchor.
      if (report.anchorUnavailable) this.logger.warning(`no anchor: ${report.anchorUnavailable}`)
      else this.logger.log(report.anchor ?? 'no events yet')
    } finally {
      await trx.rollback()
    }
  }

  private describe(b: BrokenLink, file?: string) {
    return `BROKEN${file ? ` in ${file}` : ''} at position ${b.position} (${b.aggregateType} ${b.aggregateId} v${b.version}): ${PROBLEMS[b.problem]}`
  }

  private fail(message: string) {
    this.logger.error(message)
    this.exitCode = 1
  }
}
