import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { DateTime } from 'luxon'
import { UserFactory } from '#factories/user_factory'
import { recordSnapshots } from '#services/positions/record_snapshots'

const snapshot = (wallet: string, at: string, collateral: string, debt: string | null) => ({
  walletAddress: wallet,
  protocol: 'aave_v3',
  chainId: 1,
  collateral: [{ symbol: collateral, amount: '1', valueUsd: '2000', liquidationThreshold: '0.8' }],
  debt: debt ? [{ symbol: debt, amount: '100', valueUsd: '100' }] : [],
  snapshotAt: DateTime.fromISO(at),
})

test.group('Positions | heads (what fan-out targets)', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('the newest snapshot of each position and its symbols; a backfill never replaces it', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    const w = user.walletAddress
    const heads = () => db.from('position_heads').where('user_id', user.id)

    await recordSnapshots({ kind: 'service' }, [
      snapshot(w, '2026-11-01T10:00:00Z', 'WETH', 'usdc'),
      snapshot(w, '2026-11-01T11:00:00Z', 'WBTC', 'DAI'),
    ])
    let [head] = await heads()
    assert.deepEqual(
      [...head.symbols].sort(),
      ['DAI', 'WBTC'],
      'the newest of the batch, upper-cased'
    )
    assert.equal(new Date(head.snapshot_at).toISOString(), '2026-11-01T11:00:00.000Z')

    await recordSnapshots({ kind: 'service' }, [snapshot(w, '2026-10-01T00:00:00Z', 'LINK', null)])
    ;[head] = await heads()
    assert.deepEqual([...head.symbols].sort(), ['DAI', 'WBTC'], 'a backfill leaves the head alone')

    await recordSnapshots({ kind: 'service' }, [snapshot(w, '2026-11-02T00:00:00Z', 'WETH', null)])
    const all = await heads()
    assert.lengthOf(all, 1)
    assert.deepEqual(all[0].symbols, ['WETH'], 'repaid: USDC/DAI no longer held')
  })
})
