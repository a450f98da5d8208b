import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { DateTime } from 'luxon'
import env from '#start/env'
import { deliverAt } from '#domain/alerts/quiet_hours'
import type { Asset } from '#domain/positions/types'
import {
  bufferToLiquidationPct,
  toDecimalString,
  totalValueUsd,
} from '#domain/positions/health_factor'
import { liquidationPriceOfLargestCollateral } from '#domain/positions/simulation'
import {
  evaluateHealthFactor,
  evaluateLiquidationProbability,
  INITIAL_STATE,
  type RuleState,
} from '#domain/alerts/health_factor_rule'
import {
  formatHealthFactorAlert,
  formatLiquidationProbabilityAlert,
  walletName,
} from '#domain/alerts/messages'
import { alertChannels, type Preferences, type StoredPreferences } from '#domain/users/preferences'
import { walletPreferences, type WalletPreferences } from '#domain/users/wallet_preferences'
import eventRecorder from '#services/events/event_recorder'
import { kickDeliveryAfterCommit } from '#services/delivery/kick'
import { loadRiskModels, riskOfPosition } from '#services/positions/liquidation_risk'
import { formatRatio } from '#domain/positions/liquidation_risk'

export interface EvaluatedSnapshot {
  id: string
  userId: string
  walletAddress: string
  protocol: string
  chainId: number
  healthFactor: string | null
  collateral: Asset[]
  debt: Asset[]
  /** ISO instant */
  snapshotAt: string
}

/** A position: (user, wallet, protocol, chain). */
interface PositionKey {
  userId: string
  walletAddress: string
  protocol: string
  chainId: number
}
const key = (p: PositionKey) => `${p.userId}|${p.walletAddress}|${p.protocol}|${p.chainId}`

const stateKey = (r: {
  user_id: string
  wallet_address: string
  protocol: string
  chain_id: number
}): PositionKey => ({
  userId: r.user_id,
  walletAddress: r.wallet_address,
  protocol: r.protocol,
  chainId: r.chain_id,
})

/**
 * Runs the health-factor rule over newly stored snapshots, inside the ingest
 * transaction (which holds the users' row locks, so no one else moves their
 * states meanwhile): one read (states, preferences and snoozes of the users concerned), one
 * upsert of the states, one insert of the alerts — however many snapshots.
 * Snapshots older than the last one evaluated for their position (a backfill)
 * do not alert.
 */
export async function evaluateHealthFactorAlerts(
  trx: TransactionClientContract,
  snapshots: EvaluatedSnapshot[]
) {
  if (snapshots.length === 0) return 0
  const userIds = [...new Set(snapshots.map((s) => s.userId))]
  // One round trip: states, preferences (the user's, and those their wallets set),
  // wallets' labels and live snoozes. What is per user is read once per user (the
  // lateral), then repeated on each of their state rows: a user of 20 wallets has
  // ~30 states, and per-row subqueries read their wallets 30 times over.
  const { rows } = await trx.rawQuery(
    `select u.id as user_id, u.preferences, u.wallet_address as sign_in_wallet,
            x.snoozes, x.wallet_preferences, x.wallet_labels,
            s.wallet_address, s.protocol, s.chain_id, s.armed, s.band, s.last_alert_at, s.last_snapshot_at
     from users u
     cross join lateral (
       select (select coalesce(jsonb_agg(jsonb_build_object('walletAddress', z.wallet_address, 'protocol', z.protocol,
                                                            'chainId', z.chain_id, 'until', z.until)), '[]')
               from position_snoozes z where z.user_id = u.id and z.until > now()) as snoozes,
              coalesce(jsonb_object_agg(w.address, w.preferences)
                         filter (where w.preferences <> '{}'::jsonb), '{}') as wallet_preferences,
              coalesce(jsonb_object_agg(w.address, w.label)
                         filter (where w.address <> u.wallet_address), '{}') as wallet_labels
       from user_wallets w where w.user_id = u.id
     ) x
     left join health_factor_alert_state s on s.user_id = u.id
     where u.id = any(?::uuid[])`,
    [userIds]
  )
  const snoozedUntil = new Map<string, number>()
  for (const r of rows as {
    user_id: string
    snoozes: { walletAddress: string; protocol: string; chainId: number; until: string }[]
  }[]) {
    for (const z of r.snoozes) {
      snoozedUntil.set(key({ userId: r.user_id, ...z }), new Date(z.until).getTime())
    }
  }
  const now = DateTime.utc()
  const preferences = new Map<string, StoredPreferences>()
  const walletPrefs = new Map<string, Record<string, WalletPreferences>>()
  const states = new Map<string, RuleState & { lastSnapshotAt: number }>()
  const signInWallets = new Map<string, string>()
  const walletLabels = new Map<string, Record<string, string | null>>()
  for (const r of rows) {
    preferences.set(r.user_id, r.preferences)
    walletPrefs.set(r.user_id, r.wallet_preferences)
    signInWallets.set(r.user_id, r.sign_in_wallet)
    walletLabels.set(r.user_id, r.wallet_labels)
    if (r.protocol) {
      states.set(key(stateKey(r)), {
        armed: r.armed,
        band: r.band,
        lastAlertAt: r.last_alert_at ? new Date(r.last_alert_at).getTime() : null,
        lastSnapshotAt: new Date(r.last_snapshot_at).getTime(),
      })
    }
  }

  // A message names the wallet unless it is the one the user signs in with (docs/adr/0014).
  const nameOf = (s: { userId: string; walletAddress: string }) =>
    s.walletAddress === signInWallets.get(s.userId)
      ? undefined
      : walletName(s.walletAddress, walletLabels.get(s.userId)?.[s.walletAddress])

  // What alerts about this wallet follow: its own thresholds and channels, else the user's.
  const effective = new Map<string, Preferences>()
  const prefsOf = (s: { userId: string; walletAddress: string }): Preferences => {
    const k = `${s.userId}|${s.walletAddress}`
    let prefs = effective.get(k)
    if (!prefs) {
      prefs = walletPreferences(
        preferences.get(s.userId) ?? {},
        walletPrefs.get(s.userId)?.[s.walletAddress]
      )
      effective.set(k, prefs)
    }
    return prefs
  }

  const cooldownMs = env.get('HEALTH_FACTOR_ALERT_COOLDOWN_HOURS', 12) * 3600_000
  const alerts: Record<string, unknown>[] = []
  const firing: {
    s: EvaluatedSnapshot
    severity: 'high' | 'critical'
    band: string
    threshold: string
    prefs: Preferences
  }[] = []
  const touched = new Map<string, PositionKey>()
  const ordered = [...snapshots].sort((a, b) => a.snapshotAt.localeCompare(b.snapshotAt))
  for (const s of ordered) {
    const k = key(s)
    const at = new Date(s.snapshotAt).getTime()
    const state = states.get(k) ?? { ...INITIAL_STATE, lastSnapshotAt: -Infinity }
    if (at <= state.lastSnapshotAt) continue
    const prefs = prefsOf(s)
    const threshold = String(prefs.alertThresholds.healthFactor)
    const decision = evaluateHealthFactor(s.healthFactor, threshold, state, at, cooldownMs)
    // Snoozed: nobody is told, and the rule does not count the alert as given —
    // it would stay disarmed, and a position still at risk when the snooze ends
    // would be silent until the cooldown (12 h). Recoveries still re-arm it.
    const snoozed = (snoozedUntil.get(k) ?? 0) > now.toMillis()
    const next = decision.alert && snoozed ? state : decision.next
    states.set(k, { ...next, lastSnapshotAt: at })
    touched.set(k, s)
    if (!decision.alert || snoozed) continue

    firing.push({
      s,
      severity: decision.alert.severity,
      band: decision.alert.band,
      threshold,
      prefs,
    })
  }

  // Price history is read only when something needs a forecast — a health-factor
  // alert's message, or a user who asked for probability alerts — once per batch.
  const probabilityThreshold = (s: EvaluatedSnapshot) =>
    prefsOf(s).alertThresholds.liquidationProbability24h
  const probabilityWatched = ordered.filter((s) => probabilityThreshold(s) !== undefined)
  const forecastFor = [...firing.map(({ s }) => s), ...probabilityWatched]
  const models = forecastFor.length ? await loadRiskModels(forecastFor, now.toJSDate(), trx) : null
  if (probabilityWatched.length) {
    alerts.push(
      ...(await evaluateProbabilityRule(trx, probabilityWatched, {
        models: models!,
        threshold: (s) => probabilityThreshold(s)!,
        preferences: prefsOf,
        walletName: nameOf,
        snoozed: (k) => (snoozedUntil.get(k) ?? 0) > now.toMillis(),
        now,
        cooldownMs,
      }))
    )
  }
  for (const { s, severity, band, threshold, prefs } of firing) {
    const risk = riskOfPosition(s, models!)
    const liquidation = liquidationPriceOfLargestCollateral(s)
    const wallet = nameOf(s)
    const message = formatHealthFactorAlert({
      ...(wallet ? { wallet } : {}),
      protocol: s.protocol,
      chainId: s.chainId,
      healthFactor: s.healthFactor!,
      threshold,
      collateralUsd: toDecimalString(totalValueUsd(s.collateral), 2),
      debtUsd: toDecimalString(totalValueUsd(s.debt), 2),
      bufferPct: bufferToLiquidationPct(s.healthFactor),
      liquidation: liquidation
        ? {
            symbol: liquidation.symbol,
            priceUsd: liquidation.currentPriceUsd,
            liquidationPriceUsd: liquidation.liquidationPriceUsd,
          }
        : null,
      liquidationProbability24h: risk.available ? risk.probabilities['24h'] : null,
    })
    const channels = alertChannels(prefs)
    // Quiet hours hold non-critical alerts on the push channels; the in-app feed is not a push.
    const due = deliverAt(now, severity, prefs.quietHours, prefs.timezone)
    for (const channel of channels) {
      alerts.push({
        user_id: s.userId,
        wallet_address: s.walletAddress,
        type: 'health_factor_low',
        severity,
        channel,
        message,
        metadata: {
          snapshotId: s.id,
          walletAddress: s.walletAddress,
          protocol: s.protocol,
          chainId: s.chainId,
          healthFactor: s.healthFactor,
          threshold,
          band,
          ...(risk.available
            ? { liquidationProbability24h: formatRatio(risk.probabilities['24h']) }
            : {}),
        },
        status: channel === 'in_app' ? 'sent' : 'pending',
        deliver_after: channel !== 'in_app' && due > now ? due.toISO() : null,
      })
    }
  }

  await saveRuleStates(trx, 'health_factor_alert_state', touched, states)
  if (alerts.length === 0) return 0

  const { rows: inserted } = await trx.rawQuery(
    `insert into alerts (user_id, wallet_address, type, severity, channel, message, metadata, status, sent_at, deliver_after)
     select user_id, wallet_address, type, severity, channel, message, metadata, status, case when status = 'sent' then now() end, deliver_after
     from jsonb_to_recordset(?::jsonb) as x(user_id uuid, wallet_address text, type text, severity text, channel text,
                                            message text, metadata jsonb, status text, deliver_after timestamptz)
     returning id, user_id, type, channel, status, severity, metadata`,
    [JSON.stringify(alerts)]
  )
  kickDeliveryAfterCommit(
    trx,
    inserted.map((a: { channel: string }) => a.channel)
  )
  await eventRecorder.appendMany(
    trx,
    inserted.map(
      (a: {
        id: string
        user_id: string
        type: string
        channel: string
        status: string
        severity: string
        metadata: Record<string, unknown>
      }) => ({
        aggregateType: 'alert' as const,
        aggregateId: a.id,
        eventType: 'alert.created' as const,
        payload: {
          userId: a.user_id,
          type: a.type,
          severity: a.severity,
          channel: a.channel,
          status: a.status,
          snapshotId: a.metadata.snapshotId,
        },
      })
    )
  )
  return inserted.length
}

/**
 * The liquidation-probability rule over the snapshots of wallets whose user
 * (or the wallet itself) set `alertThresholds.liquidationProbability24h`: its own state per position
 * (one read, one upsert), the same backfill, snooze, quiet-hours and
 * cooldown handling as the health-factor rule. Returns the alert rows.
 */
async function evaluateProbabilityRule(
  trx: TransactionClientContract,
  snapshots: EvaluatedSnapshot[],
  context: {
    models: Awaited<ReturnType<typeof loadRiskModels>>
    threshold: (s: EvaluatedSnapshot) => number
    preferences: (s: EvaluatedSnapshot) => Preferences
    walletName: (s: EvaluatedSnapshot) => string | undefined
    snoozed: (key: string) => boolean
    now: DateTime
    cooldownMs: number
  }
): Promise<Record<string, unknown>[]> {
  const userIds = [...new Set(snapshots.map((s) => s.userId))]
  const { rows } = await trx.rawQuery(
    `select user_id, wallet_address, protocol, chain_id, armed, band, last_alert_at, last_snapshot_at
     from liquidation_probability_alert_state where user_id = any(?::uuid[])`,
    [userIds]
  )
  const states = new Map<string, RuleState & { lastSnapshotAt: number }>()
  for (const r of rows) {
    states.set(key(stateKey(r)), {
      armed: r.armed,
      band: r.band,
      lastAlertAt: r.last_alert_at ? new Date(r.last_alert_at).getTime() : null,
      lastSnapshotAt: new Date(r.last_snapshot_at).getTime(),
    })
  }
  const alerts: Record<string, unknown>[] = []
  const touched = new Map<string, EvaluatedSnapshot>()
  for (const s of snapshots) {
    const k = key(s)
    const at = new Date(s.snapshotAt).getTime()
    const state = states.get(k) ?? { ...INITIAL_STATE, lastSnapshotAt: -Infinity }
    if (at <= state.lastSnapshotAt) continue
    const risk = riskOfPosition(s, context.models)
    const threshold = context.threshold(s)
    const decision = evaluateLiquidationProbability(
      risk.available ? risk.probabilities['24h'] : null,
      threshold,
      state,
      at,
      context.cooldownMs
    )
    const snoozed = context.snoozed(k)
    states.set(k, { ...(decision.alert && snoozed ? state : decision.next), lastSnapshotAt: at })
    touched.set(k, s)
    if (!decision.alert || snoozed || !risk.available) continue

    const prefs = context.preferences(s)
    const wallet = context.walletName(s)
    const message = formatLiquidationProbabilityAlert({
      ...(wallet ? { wallet } : {}),
      protocol: s.protocol,
      chainId: s.chainId,
      probability24h: risk.probabilities['24h'],
      probability7d: risk.probabilities['7d'],
      threshold,
      healthFactor: s.healthFactor!,
    })
    const due = deliverAt(context.now, decision.alert.severity, prefs.quietHours, prefs.timezone)
    for (const channel of alertChannels(prefs)) {
      alerts.push({
        user_id: s.userId,
        wallet_address: s.walletAddress,
        type: 'liquidation_probability_high',
        severity: decision.alert.severity,
        channel,
        message,
        metadata: {
          snapshotId: s.id,
          walletAddress: s.walletAddress,
          protocol: s.protocol,
          chainId: s.chainId,
          healthFactor: s.healthFactor,
          liquidationProbability24h: formatRatio(risk.probabilities['24h']),
          threshold: String(threshold),
          band: decision.alert.band,
        },
        status: channel === 'in_app' ? 'sent' : 'pending',
        deliver_after: channel !== 'in_app' && due > context.now ? due.toISO() : null,
      })
    }
  }
  await saveRuleStates(trx, 'liquidation_probability_alert_state', touched, states)
  return alerts
}

/**
 * Where each rule stands after a batch, one upsert for every position it
 * touched: the health-factor rule and the probability rule keep the same state
 * (armed, band, last alert) in a table each.
 */
async function saveRuleStates(
  trx: TransactionClientContract,
  table: 'health_factor_alert_state' | 'liquidation_probability_alert_state',
  touched: Map<string, PositionKey>,
  states: Map<string, RuleState & { lastSnapshotAt: number }>
) {
  const rows = [...touched.entries()].map(([k, p]) => {
    const state = states.get(k)!
    return {
      user_id: p.userId,
      wallet_address: p.walletAddress,
      protocol: p.protocol,
      chain_id: p.chainId,
      armed: state.armed,
      band: state.band,
      last_alert_at: state.lastAlertAt === null ? null : new Date(state.lastAlertAt).toISOString(),
      last_snapshot_at: new Date(state.lastSnapshotAt).toISOString(),
    }
  })
  await trx.rawQuery(
    `insert into ${table} (user_id, wallet_address, protocol, chain_id, armed, band, last_alert_at, last_snapshot_at, updated_at)
     select user_id, wallet_address, protocol, chain_id, armed, band, last_alert_at, last_snapshot_at, now()
     from jsonb_to_recordset(?::jsonb) as x(user_id uuid, wallet_address text, protocol text, chain_id int, armed boolean,
                                            band text, last_alert_at timestamptz, last_snapshot_at timestamptz)
     on conflict (user_id, wallet_address, protocol, chain_id) do update set
       armed = excluded.armed, band = excluded.band, last_alert_at = excluded.last_alert_at,
       last_snapshot_at = excluded.last_snapshot_at, updated_at = now()`,
    [JSON.stringify(rows)]
  )
}
