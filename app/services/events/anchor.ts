import { appendFile } from 'node:fs/promises'
import logger from '@adonisjs/core/services/logger'
import eventsConfig from '#config/events'
import { integrationLag } from '#services/events/integrator'

/**
 * The external anchor (docs/adr/0012): the newest block's `block:hash`,
 * written where the database's operators cannot quietly rewrite it — a log
 * line for the log shipper, and a line appended to EVENT_ANCHOR_FILE when set.
 * Checked later with `node ace events:verify --anchor=block:hash`: a rewrite
 * of the blocks up to it (which leaves recomputed from rows cannot see when
 * done consistently) no longer matches.
 */
export async function exportAnchor(): Promise<string | null> {
  const { newest, backlogSeconds } = await integrationLag()
  if (!newest) return null
  const anchor = `${newest.blockNo}:${newest.hash}`
  logger.info({ anchor, backlogSeconds }, 'event store anchor')
  if (eventsConfig.anchorFile) {
    await appendFile(
      eventsConfig.anchorFile,
      `${new Date().toISOString()} ${anchor} sealed ${newest.sealedAt.toISOString()}\n`
    )
  }
  return anchor
}
