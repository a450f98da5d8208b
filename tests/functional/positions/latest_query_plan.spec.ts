import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { LATEST_POSITIONS_SQL as NAMED_SQL } from '#infrastructure/database/queries/latest_positions_sql'

const LATEST_POSITIONS_SQL = NAMED_SQL.replaceAll(':user', '?')
import { truncateAll } from '#tests/helpers/database'

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  'Index Cond'?: string
  'Plans'?: PlanNode[]
}

function walk(node: PlanNode, out: PlanNode[] = []): PlanNode[] {
  out.push(node)
  for (const child of node.Plans ?? []) walk(child, out)
  return out
}

test.group('Positions | latest-positions query plan', (group) => {
  group.each.teardown(() => truncateAll())

  test('reads one user through their position heads, never a sequential scan', async ({
    assert,
  }) => {
    // 2,000 users × 2 protocols × 10 hourly snapshots, analysed, so the planner sees real statistics.
    await db.rawQuery(
      `insert into users (wallet_address) select '0x' || lpad(to_hex(g), 40, '0') from generate_series(1, 2000) g`
    )
    await db.rawQuery(
      `insert into positions (user_id, wallet_address, protocol, chain_id, health_factor, collateral, debt, snapshot_at)
       select u.id, u.wallet_address, p.protocol, 1, 1.5,
              '[{"symbol":"WETH","amount":"1","valueUsd":"2000","liquidationThreshold":"0.8"}]',
              '[{"symbol":"USDC","amount":"1000","valueUsd":"1000"}]',
              timestamptz '2026-01-01T00:00:00Z' + make_interval(hours => h)
       from users u cross join (values ('aave_v3'), ('compound_v3')) p(protocol) cross join generate_series(0, 9) h`
    )
    await db.rawQuery('analyze positions')
    await db.rawQuery('analyze position_heads')
    await db.rawQuery('analyze user_wallets')
    const user = await db.from('users').orderByRaw('random()').firstOrFail()

    const { rows } = await db.rawQuery(`explain (format json) ${LATEST_POSITIONS_SQL}`, [user.id])
    const nodes = walk(rows[0]['QUERY PLAN'][0].Plan)
    const described = JSON.stringify(
      nodes.map((n) => [n['Node Type'], n['Relation Name'], n['Index Name'], n['Index Cond']])
    )
    assert.notInclude(
      nodes.map((n) => n['Node Type']),
      'Seq Scan',
      described
    )
    // the user's heads through the (user_id, wallet_address, protocol, chain_id) key …
    const heads = nodes.find((n) => n['Index Name'] === 'position_heads_pkey')
    assert.match(heads?.['Index Cond'] ?? '', /user_id/, described)
    // … and each newest snapshot by its id: no walk over the history
    const onPositions = nodes.filter((n) => n['Index Name']?.startsWith('positions_'))
    assert.isAbove(onPositions.length, 0, described)
    for (const node of onPositions) assert.equal(node['Index Name'], 'positions_pkey', described)

    // and the answer is right: one row per (protocol, chain), the newest
    const result = await db.rawQuery(LATEST_POSITIONS_SQL, [user.id])
    assert.deepEqual(
      result.rows.map((r: any) => [r.protocol, r.snapshot_at.toISOString()]),
      [
        ['aave_v3', '2026-01-01T09:00:00.000Z'],
        ['compound_v3', '2026-01-01T09:00:00.000Z'],
      ]
    )
  })

  test('one row per wallet on the list; a wallet taken off it is not shown', async ({ assert }) => {
    const [{ id: userId }] = (
      await db.rawQuery(
        `insert into users (wallet_address) values ('0x${'1'.repeat(40)}') returning id`
      )
    ).rows
    const watched = '0x' + '2'.repeat(40)
    const dropped = '0x' + '3'.repeat(40)
    await db.rawQuery(
      `insert into user_wallets (user_id, address, kind) values (?, ?, 'watched'), (?, ?, 'watched')`,
      [userId, watched, userId, dropped]
    )
    await db.rawQuery(
      `insert into positions (user_id, wallet_address, protocol, chain_id, health_factor, collateral, debt, snapshot_at)
       select ?, w, 'aave_v3', 1, 1.5, '[]', '[]', timestamptz '2026-01-01T00:00:00Z' + make_interval(hours => h)
       from unnest(?::text[]) w cross join generate_series(0, 2) h`,
      [userId, ['0x' + '1'.repeat(40), watched, dropped]]
    )
    await db.rawQuery(`delete from user_wallets where address = ?`, [dropped])
    const result = await db.rawQuery(LATEST_POSITIONS_SQL, [userId])
    assert.deepEqual(
      result.rows.map((r: any) => [r.wallet_address, r.snapshot_at.toISOString()]),
      [
        ['0x' + '1'.repeat(40), '2026-01-01T02:00:00.000Z'],
        [watched, '2026-01-01T02:00:00.000Z'],
      ]
    )
  })
})
