import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { UserFactory } from '#factories/user_factory'
import { snapshotBody } from '#tests/helpers/snapshots'
import { recordSnapshots } from '#services/positions/record_snapshots'
import { backtest } from '#services/positions/backtest'

test.group('Positions | risk:backtest', (group) => {
  group.each.setup(async () => {
    const rollback = await testUtils.db().withGlobalTransaction()
    // prices other suites committed (workers' tests, the demo seed) are not this test's history
    await db.from('price_history').delete()
    return rollback
  })

  test('scores each day’s 24 h forecast against what happened', async ({ assert }) => {
    const user = await UserFactory.create()
    const t0 = Date.parse('2026-11-01T00:00:00Z')
    // six days of WETH drifting down ~0.3 %/h with noise (HF 2.06 → 1.54), then a crash
    // on 5 Nov that takes HF below 1 within hours
    let price = 2000
    const snapshots = Array.from({ length: 144 }, (_, i) => {
      price *= (i % 2 ? 0.99 : 1.004) * (i >= 96 ? 0.97 : 1)
      return snapshotBody({
        snapshotAt: new Date(t0 + i * 3600_000).toISOString(),
        // Compound's weighted sum: no Aave rounding in the way of a clean HF < 1
        protocol: 'compound_v3',
        collateral: [
          {
            symbol: 'WETH',
            amount: '10',
            valueUsd: (10 * price).toFixed(8),
            priceUsd: price.toFixed(8),
            liquidationThreshold: '0.825',
          },
        ],
      })
    })
    await recordSnapshots(
      { kind: 'user', userId: user.id, walletAddress: user.walletAddress },
      snapshots.map((s) => ({ ...s, snapshotAt: DateTime.fromISO(s.snapshotAt) }) as any)
    )

    const report = await backtest({ userId: user.id })
    // midnights 1 … 5 Nov, each with a full day after it
    assert.equal(report.days, 5)
    // 1, 2, 3 Nov rest on 0, 24 and 48 hourly returns: under RISK_MIN_SAMPLES (72)
    assert.equal(report.skipped, 3)
    assert.equal(report.forecasts, 2)
    // 5 Nov: the crash day, followed by HF < 1 within 24 h
    assert.equal(report.liquidations, 1)
    assert.equal(
      report.buckets.reduce((n, b) => n + b.forecasts, 0),
      report.forecasts
    )
    assert.isAtLeast(report.brier!, 0)
    assert.isAtMost(report.brier!, 1)
  })
})
