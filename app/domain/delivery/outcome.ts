/**
 * What one delivery attempt came to, whatever the channel. The delivery
 * service turns it into the alert's next state.
 */
export type SendOutcome =
  /** Delivered: `sent`, `sent_at`, `alert.sent`. */
  | { kind: 'sent' }
  /** The provider asked us to slow down (Telegram 429): wait and try again; not a failure. */
  | { kind: 'rate_limited'; retryAfterMs: number; error: string }
  /**
   * Network error, timeout, 5xx…: back off and retry up to the attempt limit.
   * `telegramChatMovedTo`: the group became a supergroup with a new id; the
   * retry goes there.
   */
  | { kind: 'transient'; error: string; telegramChatMovedTo?: string }
  /**
   * Retrying cannot help (bot blocked, chat gone, no address, refused URL):
   * fail at once; a chat that is blocked or gone is unlinked, so the user's
   * later alerts do not fail the same way one by one.
   */
  | { kind: 'permanent'; error: string; unlinkTelegram?: 'blocked' | 'chat_not_found' }

export interface RetryPolicy {
  /** Attempts before a transient failure becomes `failed`. */
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
}

/**
 * Twelve attempts: the backoff alone then spans 12 to 24 minutes, so a
 * provider outage of ten minutes delays alerts instead of failing them for
 * good (six spanned 31–62 s: a short Telegram or SMTP outage lost every
 * non-critical alert sent during it).
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 12,
  baseDelayMs: 2_000,
  maxDelayMs: 5 * 60_000,
}

/**
 * Exponential backoff with full jitter after the n-th failed attempt (1-based):
 * 2 s, 4 s, 8 s… capped. The jitter spreads retries of a burst that failed
 * together (a provider outage) so they do not come back together.
 */
export function backoffMs(attempt: number, policy: RetryPolicy, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}

export type NextState =
  | { status: 'sent' }
  | { status: 'pending'; retryInMs: number; countsAsAttempt: boolean; error: string }
  | { status: 'failed'; error: string }

/** The alert's next state after `attemptsSoFar` earlier attempts and this outcome. */
export function nextState(
  outcome: SendOutcome,
  attemptsSoFar: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY
): NextState {
  switch (outcome.kind) {
    case 'sent':
      return { status: 'sent' }
    case 'rate_limited':
      return {
        status: 'pending',
        retryInMs: outcome.retryAfterMs,
        countsAsAttempt: false,
        error: outcome.error,
      }
    case 'permanent':
      return { status: 'failed', error: outcome.error }
    case 'transient': {
      const attempt = attemptsSoFar + 1
      if (attempt >= policy.maxAttempts) {
        return { status: 'failed', error: `${outcome.error} (gave up after ${attempt} attempts)` }
      }
      return {
        status: 'pending',
        retryInMs: backoffMs(attempt, policy),
        countsAsAttempt: true,
        error: outcome.error,
      }
    }
  }
}
