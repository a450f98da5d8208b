import env from '#start/env'

/** The event store's integrator (docs/adr/0012). */
const events = {
  /** The published contract: an append is sealed into a block within this many seconds. */
  maxMergeDelaySeconds: env.get('EVENT_MAX_MERGE_DELAY_SECONDS', 60),
  /**
   * The worker's timer between passes when no notification arrives (a lost
   * NOTIFY, a direct append from outside the app). Notifications make it prompt.
   */
  integrateEveryMs: env.get('EVENT_INTEGRATE_EVERY_MS', 500),
  /** A file the newest block's `block:hash` is appended to each minute. */
  anchorFile: env.get('EVENT_ANCHOR_FILE'),
}

export default events
