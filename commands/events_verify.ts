import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

export default class EventsVerify extends BaseCommand {
  static commandName = 'events:verify'
  static description =
    'Check the event store: block links and hashes, every event against its sealed leaf and its journal row, versions, the integration backlog; print (or check) an anchor'
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'An anchor printed by an earlier run (block:hash) to check' })
  declare anchor?: string

  @flags.array({
    description:
      'An archive file written by events:archive to check too (repeatable); anchors on archived blocks need them',
  })
  declare archive?: string[]

  async run() {
    const { verifyStore, anchorHolds } = await import('#services/events/verify_chain')
    const { checkArchive } = await import('#services/events/archive')
    const { default: db } = await import('@adonisjs/lucid/services/db')
    const [blockNo, hash] = (this.anchor ?? '').split(':')
    if (this.anchor && (!/^\d+$/.test(blockNo ?? '') || !/^[0-9a-f]{64}$/.test(hash ?? ''))) {
      return this.fail('An anchor looks like 1234:<64 hex digits> (block:hash)')
    }
    // One REPEATABLE READ transaction: every check sees the same blocks and rows,
    // and the archives' blocks live in a temporary table until it ends.
    const trx = await db.transaction({ isolationLevel: 'repeatable read' })
    try {
      // The API's 30 s statement timeout is for requests: walking a store of a few
      // million events takes longer.
      await trx.rawQuery('set local statement_timeout = 0')
      const report = await verifyStore(trx)
      if (report.problem)
        return this.fail(`BROKEN (${report.problem.kind}): ${report.problem.message}`)
      for (const file of this.archive ?? []) {
        const check = await checkArchive(trx, file)
        if (check.problem) return this.fail(`ARCHIVE ${file}: ${check.problem}`)
        this.logger.success(
          `archive ${file}: ${check.events} events, chained into the store (${check.blocks} blocks)`
        )
      }
      if (this.anchor) {
        const archived = this.archive?.length ? 'archived_blocks' : undefined
        if (!(await anchorHolds(blockNo, hash, trx, archived))) {
          return this.fail(
            `ANCHOR MISMATCH at block ${blockNo}: the blocks up to it were rewritten or removed` +
              (archived ? '' : ' (an anchor on archived blocks needs their --archive files)')
          )
        }
        this.logger.success(`anchor ${blockNo} still matches`)
      }
      this.logger.success(
        `store intact: ${report.events} sealed events in ${report.blocks} blocks, ${report.aggregates} aggregates; backlog ${report.backlogSeconds.toFixed(1)} s`
      )
      // Alone on the last line: keep it outside the database to check later with --anchor.
      this.logger.log(report.anchor ?? 'no blocks yet')
    } finally {
      await trx.rollback()
    }
  }

  private fail(message: string) {
    this.logger.error(message)
    this.exitCode = 1
  }
}
