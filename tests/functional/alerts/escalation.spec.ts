import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { UserFactory } from '#factories/user_factory'
import { SignalFactory } from '#factories/signal_factory'
import { escalateAlerts } from '#services/alerts/escalate'
import { truncateAll } from '#tests/helpers/database'
import { integrated } from '#tests/helpers/events'

async function critical(
  userId: string,
  channel: string,
  minutesAgo: number,
  extra: Record<string, unknown> = {}
) {
  const { rows } = await db.rawQuery(
    `insert into alerts (user_id, signal_id, type, severity, channel, message, metadata, status, created_at)
     values (?, ?, 'health_factor_low', ?, ?, 'Aave v3 on Ethereum: health factor 1.050 is below your threshold 1.5.',
             ?::jsonb, ?, now() - make_interval(mins => ?)) returning id`,
    [
      userId,
      (extra.signalId as string) ?? null,
      (extra.severity as string) ?? 'critical',
      channel,
      JSON.stringify({
        snapshotId: extra.snapshotId ?? 'snap-1',
        ...(extra.metadata as Record<string, unknown> | undefined),
      }),
      (extra.status as string) ?? (channel === 'in_app' ? 'sent' : 'pending'),
      minutesAgo,
    ] as any[]
  )
  return rows[0].id as string
}

test.group('Alerts | escalation', (group) => {
  // committed rows: events are sealed by the integrator after commit (docs/adr/0012)
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test('unacknowledged for 15 minutes: re-sent on its channels and every linked one, once, saying so', async ({
    assert,
  }) => {
    const user = await UserFactory.apply('telegramLinked')
      .merge({ email: 'me@example.com' })
      .create()
    const originals = [
      await critical(user.id, 'in_app', 20),
      await critical(user.id, 'telegram', 20),
    ]

    assert.equal(await escalateAlerts(), 3)
    const escalations = await db
      .from('alerts')
      .where('user_id', user.id)
      .whereRaw("metadata->>'escalationOf' is not null")
      .orderBy('channel')
    assert.deepEqual(
      escalations.map((a) => [a.channel, a.status, a.severity]),
      [
        ['email', 'pending', 'critical'],
        ['in_app', 'sent', 'critical'],
        ['telegram', 'pending', 'critical'],
      ]
    )
    assert.isTrue(
      escalations.every((a) =>
        a.message.startsWith('ESCALATION — not acknowledged for 15 minutes: Aave v3')
      )
    )
    // one escalation per cause: all three point at the same original of that cause
    assert.lengthOf(new Set(escalations.map((a) => a.metadata.escalationOf)), 1)
    assert.include(originals, escalations[0].metadata.escalationOf)
    const marked = await db.from('alerts').whereIn('id', originals)
    assert.isTrue(marked.every((a) => typeof a.metadata.escalatedAt === 'string'))
    await integrated()
    const events = await db.from('event_store').where('event_type', 'alert.created')
    assert.lengthOf(events, 3)

    // once: a second run (and a third) finds nothing new
    assert.equal(await escalateAlerts(), 0)
    assert.equal(await escalateAlerts(new Date(Date.now() + 3600_000)), 0)
  })

  test('not yet: younger than 15 minutes, not critical, or acknowledged on any channel', async ({
    assert,
  }) => {
    const user = await UserFactory.apply('telegramLinked').create()
    await critical(user.id, 'in_app', 10, { snapshotId: 'young' })
    await critical(user.id, 'in_app', 30, { snapshotId: 'high', severity: 'high' })
    await critical(user.id, 'in_app', 30, { snapshotId: 'acked', status: 'acknowledged' })
    await critical(user.id, 'telegram', 30, { snapshotId: 'acked' })
    assert.equal(await escalateAlerts(), 0)
    // the young one escalates once its time has come
    assert.equal(await escalateAlerts(new Date(Date.now() + 6 * 60_000)), 2)
  })

  test("not while the alert's position is snoozed; after the snooze, if still unacknowledged", async ({
    assert,
  }) => {
    const user = await UserFactory.apply('telegramLinked').create()
    const position = { protocol: 'aave_v3', chainId: 1 }
    await critical(user.id, 'telegram', 20, { snapshotId: 'snoozed', metadata: position })
    await critical(user.id, 'telegram', 20, {
      snapshotId: 'other-chain',
      metadata: { protocol: 'aave_v3', chainId: 8453 },
    })
    await db.table('position_snoozes').insert({
      user_id: user.id,
      protocol: 'aave_v3',
      chain_id: 1,
      until: new Date(Date.now() + 3600_000),
    })
    const escalatedCauses = async () => {
      const rows = await db
        .from('alerts')
        .where('user_id', user.id)
        .whereRaw("metadata->>'escalationOf' is not null")
        .select('metadata')
      return [...new Set(rows.map((r) => r.metadata.snapshotId))]
    }

    assert.isAbove(await escalateAlerts(), 0)
    assert.deepEqual(await escalatedCauses(), ['other-chain'])
    // the snooze has ended, nobody acknowledged: now it escalates
    assert.isAbove(await escalateAlerts(new Date(Date.now() + 2 * 3600_000)), 0)
    assert.sameMembers(await escalatedCauses(), ['other-chain', 'snoozed'])
  })

  test('signal alerts escalate per signal, without clashing with the original (user, signal, channel)', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    const signal = await SignalFactory.apply('critical').create()
    await critical(user.id, 'in_app', 20, { signalId: signal.id })
    assert.equal(await escalateAlerts(), 1)
    const escalation = await db
      .from('alerts')
      .whereRaw("metadata->>'escalationOf' is not null")
      .firstOrFail()
    assert.isNull(escalation.signal_id)
    assert.equal(escalation.metadata.signalId, signal.id)
  })
})

test.group('Alerts | escalation, committed', (group) => {
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test('two runs at once (a job overrunning its minute) escalate a cause once', async ({
    assert,
  }) => {
    const user = await UserFactory.apply('telegramLinked').create()
    const original = await critical(user.id, 'telegram', 20)
    // hold the original's row lock so both runs reach it and wait, then let go
    const holder = await db.transaction()
    await holder.rawQuery('select id from alerts where id = ? for update', [original])
    const runs = [escalateAlerts(), escalateAlerts()]
    await new Promise((resolve) => setTimeout(resolve, 500))
    await holder.commit()
    const counts = await Promise.all(runs)

    assert.sameMembers(counts, [0, 2], 'telegram and in_app, once')
    const escalations = await db
      .from('alerts')
      .where('user_id', user.id)
      .whereRaw("metadata->>'escalationOf' is not null")
    assert.lengthOf(escalations, 2)
  }).timeout(10_000)

  test('an acknowledgement committed while a run waits for the alert stops the escalation', async ({
    assert,
  }) => {
    const user = await UserFactory.apply('telegramLinked').create()
    const original = await critical(user.id, 'telegram', 20)
    const acknowledging = await db.transaction()
    await acknowledging.rawQuery('select id from alerts where id = ? for update', [original])
    const run = escalateAlerts()
    await new Promise((resolve) => setTimeout(resolve, 500))
    await acknowledging.rawQuery(`update alerts set status = 'acknowledged' where id = ?`, [
      original,
    ])
    await acknowledging.commit()

    assert.equal(await run, 0)
    const escalations = await db
      .from('alerts')
      .where('user_id', user.id)
      .whereRaw("metadata->>'escalationOf' is not null")
    assert.lengthOf(escalations, 0)
  }).timeout(10_000)

  test('a wallet’s alert escalates about that wallet, to the chat linked to it', async ({
    assert,
  }) => {
    // no chat of the user's own: the treasury's group is the linked Telegram chat
    const user = await UserFactory.create()
    const treasury = '0x' + '7e'.repeat(20)
    await db.rawQuery(
      `insert into user_wallets (user_id, address, kind, telegram_chat_id)
       values (?, ?, 'watched', -1001234567890)`,
      [user.id, treasury]
    )
    await db.rawQuery(
      `insert into alerts (user_id, wallet_address, type, severity, channel, message, metadata, status, created_at)
       values (?, ?, 'health_factor_low', 'critical', 'in_app', 'Aave v3 on Ethereum: health factor 1.050',
               ?::jsonb, 'sent', now() - interval '20 minutes')`,
      [user.id, treasury, JSON.stringify({ snapshotId: 'snap-t', walletAddress: treasury })]
    )
    assert.equal(await escalateAlerts(), 2)
    const escalations = await db
      .from('alerts')
      .where('user_id', user.id)
      .whereRaw("metadata->>'escalationOf' is not null")
      .orderBy('channel')
    assert.deepEqual(
      escalations.map((a) => [a.channel, a.wallet_address]),
      [
        ['in_app', treasury],
        ['telegram', treasury],
      ]
    )
  })
})
