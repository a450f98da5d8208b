import { test } from '@japa/runner'
import Big from 'big.js'
import db from '@adonisjs/lucid/services/db'
import DemoSeeder from '#database/seeders/demo_seeder'
import { DEMO_WALLET } from '#database/seeders/demo_data'
import { computeHealthFactor } from '#domain/positions/health_factor'
import { truncateAll } from '#tests/helpers/database'
import { integrated } from '#tests/helpers/events'

async function counts() {
  // snapshot and alert events are journal-fed: they exist once integrated
  await integrated()
  const { rows } = await db.rawQuery(`
    select (select count(*) from users)::int as users,
           (select count(*) from positions)::int as positions,
           (select count(*) from signals)::int as signals,
           (select count(*) from alerts)::int as alerts,
           (select count(*) from event_store)::int as events`)
  return rows[0]
}

test.group('Seeders | demo', (group) => {
  group.each.teardown(() => truncateAll())

  test('seeds 30 days of hourly snapshots, a dozen signals, alerts — and a second run changes nothing', async ({
    assert,
  }) => {
    await new DemoSeeder(db.connection()).run()
    const first = await counts()
    assert.deepInclude(first, { users: 1, positions: 1440, signals: 12 })
    assert.isAbove(first.alerts, 2)
    assert.equal(first.events, 1 + 1440 + 12 + first.alerts)

    await new DemoSeeder(db.connection()).run()
    assert.deepEqual(await counts(), first)
  })

  test('the Aave health factor dips below 1.5 exactly twice; every stored HF matches its assets', async ({
    assert,
  }) => {
    await new DemoSeeder(db.connection()).run()
    const rows = await db
      .from('positions')
      .where('wallet_address', DEMO_WALLET)
      .orderBy('snapshot_at')
      .select('protocol', 'health_factor', 'collateral', 'debt', 'snapshot_at')

    const aave = rows.filter((r) => r.protocol === 'aave_v3')
    assert.lengthOf(aave, 720)
    let dips = 0
    for (let i = 1; i < aave.length; i++) {
      if (new Big(aave[i].health_factor).lt('1.5') && new Big(aave[i - 1].health_factor).gte('1.5'))
        dips++
    }
    assert.equal(dips, 2)

    for (const row of rows) {
      assert.isArray(row.collateral)
      assert.isArray(row.debt)
      assert.equal(row.health_factor, computeHealthFactor(row.collateral, row.debt, row.protocol))
    }
    // hourly, ending at the current hour
    const last = new Date(aave.at(-1)!.snapshot_at).getTime()
    assert.isAtMost(Date.now() - last, 3600_000)
    assert.equal(
      new Date(aave[1].snapshot_at).getTime() - new Date(aave[0].snapshot_at).getTime(),
      3600_000
    )

    const statuses = await db.from('signals').select('status', 'severity')
    assert.includeMembers([...new Set(statuses.map((s) => s.status))], ['active', 'expired'])
    assert.include(
      statuses.map((s) => s.severity),
      'critical'
    )
    const hfAlerts = await db.from('alerts').where('type', 'health_factor_low')
    assert.lengthOf(hfAlerts, 2)
  })
})
