import db from '@adonisjs/lucid/services/db'
import { chainName } from '#domain/alerts/messages'
import eventRecorder from '#services/events/event_recorder'

export const STALE_ALERT_TYPE = 'chain_stale'

/**
 * Silence must never look like safety: once a chain has had no successful
 * read for `staleMinutes`, every user with an open position on it — on any
 * wallet of their list, proven or watched — gets one in-app alert saying since when their positions are not updated. One per
 * outage — the state row is marked in the same transaction, so concurrent
 * workers cannot both send it; a successful read clears the mark.
 * Returns the number of alerts created.
 */
export async function alertStaleChain(chainId: number, staleMinutes: number): Promise<number> {
  return db.transaction(async (trx) => {
    const { rows: claimed } = await trx.rawQuery(
      `update chain_sync_state
          set stale_alerted_at = now(), updated_at = now()
        where chain_id = ? and stale_alerted_at is null
          and coalesce(last_success_at, created_at) < now() - make_interval(mins => ?)
        returning coalesce(last_success_at, created_at) as since, last_success_at is null as never`,
      [chainId, staleMinutes]
    )
    if (claimed.length === 0) return 0
    const since = new Date(claimed[0].since).toISOString().slice(0, 16).replace('T', ' ')
    const message =
      `Positions on ${chainName(chainId)} not updated since ${since} UTC: ` +
      `${claimed[0].never ? 'no read of the chain has succeeded yet' : 'reading the chain fails'}. ` +
      'Their health factors may have changed since; check them in your wallet or the ' +
      "protocol's app until updates resume."
    // The users with a position still open there (newest snapshot not empty) on
    // a wallet still on their list — proven or watched (docs/adr/0014): one alert
    // per user however many of their wallets are affected, naming the wallets.
    const { rows: alerts } = await trx.rawQuery(
      `insert into alerts (user_id, type, severity, channel, message, metadata, status, sent_at)
       select h.user_id, ?, 'high', 'in_app', ?,
              ?::jsonb || jsonb_build_object('wallets', jsonb_agg(distinct h.wallet_address order by h.wallet_address)),
              'sent', now()
         from position_heads h
         join user_wallets w on w.user_id = h.user_id and w.address = h.wallet_address
         join positions p on p.id = h.snapshot_id
        where h.chain_id = ?
          and (jsonb_array_length(p.collateral) > 0 or jsonb_array_length(p.debt) > 0)
        group by h.user_id
       returning id, user_id`,
      [
        STALE_ALERT_TYPE,
        message,
        JSON.stringify({ chainId, staleSince: claimed[0].since }),
        chainId,
      ]
    )
    await eventRecorder.appendMany(
      trx,
      alerts.map((a: { id: string; user_id: string }) => ({
        aggregateType: 'alert' as const,
        aggregateId: a.id,
        eventType: 'alert.created' as const,
        payload: {
          userId: a.user_id,
          type: STALE_ALERT_TYPE,
          severity: 'high',
          channel: 'in_app',
          status: 'sent',
        },
        metadata: { causation: { chainId } },
      }))
    )
    return alerts.length
  })
}
