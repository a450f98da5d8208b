import type pg from 'pg'

export const USERS = Number(process.env.BENCH_USERS ?? 100_000)
export const SNAPSHOTS_PER_USER = Number(process.env.BENCH_SNAPSHOTS_PER_USER ?? 20)
/** Users who hold 20 wallets: their sign-in wallet and 19 more (docs/adr/0014). */
export const MULTI_WALLET_USERS = Math.min(
  Number(process.env.BENCH_MULTI_WALLET_USERS ?? 2000),
  Math.floor(USERS / 4)
)
export const EXTRA_WALLETS = 19
/** Snapshots per protocol of each extra wallet (1–2 protocols each). */
export const EXTRA_SNAPSHOTS = Number(process.env.BENCH_EXTRA_SNAPSHOTS ?? 5)
/**
 * Assets only one cohort's newest snapshots hold, for fan-outs that reach one
 * cohort: GHO in the extra wallets of the 20-wallet users, LUSD in the sign-in
 * wallets of as many one-wallet users (the control cohort).
 */
export const MULTI_WALLET_ASSET = 'GHO'
export const CONTROL_ASSET = 'LUSD'

export function pgConfig(): pg.PoolConfig {
  return {
    host: process.env.DB_HOST,
    port: Number(process.env.DB_PORT ?? 5432),
    user: process.env.DB_USER,
    password: process.env.DB_PASSWORD,
    database: process.env.DB_DATABASE,
    max: 10,
  }
}

/**
 * Builds the realistic volume in SQL (generate_series, one statement per
 * table): USERS users, each with SNAPSHOTS_PER_USER snapshots of ~1.2 kB
 * (3 collateral and 2 debt assets with addresses and decimal strings).
 * Skipped when the data is already there.
 */
export async function ensureDataset(
  pool: pg.Pool
): Promise<{ users: number; snapshots: number; seconds: number }> {
  const started = performance.now()
  const { rows } = await pool.query(
    `select count(*)::int as n from users where wallet_address like '0x0000%'`
  )
  if (rows[0].n < USERS) {
    const client = await pool.connect()
    try {
      await client.query('set synchronous_commit = off')
      await client.query(
        `insert into users (wallet_address, preferences)
         select '0x' || lpad(to_hex(g), 40, '0'),
                jsonb_build_object('activeSignals', jsonb_build_array('depeg', 'whale_movement'),
                                   'notificationChannels', jsonb_build_array('in_app', 'telegram'))
         from generate_series(1, $1::int) g
         on conflict (wallet_address) do nothing`,
        [USERS]
      )
      const perProtocol = Math.max(1, Math.floor(SNAPSHOTS_PER_USER / 2))
      await client.query(
        `insert into positions (user_id, wallet_address, protocol, chain_id, health_factor, collateral, debt, metadata, snapshot_at)
         select u.id, u.wallet_address, p.protocol, 1,
                round(((10 * x.price * 0.825) + 30000 * 0.7 + 5000 * 0.78) / (15000 + x.extra), 18),
                jsonb_build_array(
                  jsonb_build_object('symbol', 'WETH', 'amount', '10', 'valueUsd', (10 * x.price)::text, 'priceUsd', x.price::text,
                                     'liquidationThreshold', '0.825', 'address', '0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2'),
                  jsonb_build_object('symbol', 'WBTC', 'amount', '0.5', 'valueUsd', '30000', 'priceUsd', '60000',
                                     'liquidationThreshold', '0.7', 'address', '0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599'),
                  jsonb_build_object('symbol', 'USDC', 'amount', '5000', 'valueUsd', '5000', 'priceUsd', '1',
                                     'liquidationThreshold', '0.78', 'address', '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48')),
                jsonb_build_array(
                  jsonb_build_object('symbol', 'USDT', 'amount', (10000 + x.extra)::text, 'valueUsd', (10000 + x.extra)::text,
                                     'priceUsd', '1', 'address', '0xdAC17F958D2ee523a2206206994597C13D831ec7'),
                  jsonb_build_object('symbol', 'DAI', 'amount', '5000', 'valueUsd', '5000', 'priceUsd', '1',
                                     'address', '0x6B175474E89094C44Da98b954EedeAC495271d0F')),
                jsonb_build_object('source', 'bench', 'block', 21000000 + h),
                timestamptz '2026-01-01T00:00:00Z' + make_interval(hours => h)
         from users u
         cross join (values ('aave_v3'), ('compound_v3')) p(protocol)
         cross join generate_series(0, $1::int - 1) h
         cross join lateral (select round((2000 + random() * 1500)::numeric, 2) as price,
                                    round((random() * 4000)::numeric, 2) as extra) x
         where u.wallet_address like '0x0000%'
         on conflict do nothing`,
        [perProtocol]
      )
      await client.query('analyze users')
      await client.query('analyze positions')
    } finally {
      client.release()
    }
  }
  await ensureMultiWalletCohort(pool)
  const counts = await pool.query(
    `select (select count(*) from users)::int as users, (select count(*) from positions)::int as snapshots`
  )
  return { ...counts.rows[0], seconds: (performance.now() - started) / 1000 }
}

/** health_factor, collateral and debt as in the base dataset; `moreDebt` (a jsonb array) appended to the debt. */
const snapshotColumns = (moreDebt: string) => `
  round(((10 * x.price * 0.825) + 30000 * 0.7 + 5000 * 0.78) / (15000 + x.extra), 18),
  jsonb_build_array(
    jsonb_build_object('symbol', 'WETH', 'amount', '10', 'valueUsd', (10 * x.price)::text, 'priceUsd', x.price::text,
                       'liquidationThreshold', '0.825', 'address', '0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2'),
    jsonb_build_object('symbol', 'WBTC', 'amount', '0.5', 'valueUsd', '30000', 'priceUsd', '60000',
                       'liquidationThreshold', '0.7', 'address', '0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599'),
    jsonb_build_object('symbol', 'USDC', 'amount', '5000', 'valueUsd', '5000', 'priceUsd', '1',
                       'liquidationThreshold', '0.78', 'address', '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48')),
  jsonb_build_array(
    jsonb_build_object('symbol', 'USDT', 'amount', (10000 + x.extra)::text, 'valueUsd', (10000 + x.extra)::text,
                       'priceUsd', '1', 'address', '0xdAC17F958D2ee523a2206206994597C13D831ec7'),
    jsonb_build_object('symbol', 'DAI', 'amount', '5000', 'valueUsd', '5000', 'priceUsd', '1',
                       'address', '0x6B175474E89094C44Da98b954EedeAC495271d0F')) || ${moreDebt}`

const stablecoin = (symbol: string) =>
  `'[{"symbol":"${symbol}","amount":"1","valueUsd":"1","priceUsd":"1"}]'::jsonb`

/**
 * The 20-wallet cohort (only on a database with user_wallets, migration 16): the
 * last MULTI_WALLET_USERS benchmark users get 19 more wallets each, proven (siwe) and
 * watched in turn, each holding positions on one or two protocols with
 * EXTRA_SNAPSHOTS hourly snapshots each (the newest hold MULTI_WALLET_ASSET too).
 * The as many users before them (one wallet) get one newer snapshot per protocol
 * holding CONTROL_ASSET. Skipped when there.
 */
export async function ensureMultiWalletCohort(pool: pg.Pool) {
  const { rows } = await pool.query(`select to_regclass('user_wallets') is not null as has`)
  if (!rows[0].has || MULTI_WALLET_USERS <= 0) return
  const { rows: present } = await pool.query(
    `select count(*)::int as n from user_wallets where proof is distinct from 'sign_in'`
  )
  if (present[0].n >= MULTI_WALLET_USERS * EXTRA_WALLETS) return
  const client = await pool.connect()
  const perProtocol = Math.max(1, Math.floor(SNAPSHOTS_PER_USER / 2))
  // benchmark users by the number in their address (0x0000…<hex g>), g in (from, to]
  const cohort = (from: number, to: number) =>
    `(select u.id, u.wallet_address, n.g from users u
      cross join lateral (select ('x' || right(u.wallet_address, 16))::bit(64)::bigint as g) n
      where u.wallet_address like '0x0000%' and n.g > ${from} and n.g <= ${to})`
  try {
    await client.query('set synchronous_commit = off')
    await client.query('begin')
    await client.query(
      `insert into user_wallets (user_id, address, kind, proof, label)
       select u.id, '0x0001' || lpad(to_hex(u.g * 32 + k), 36, '0'),
              case when k % 2 = 0 then 'proven' else 'watched' end,
              case when k % 2 = 0 then 'siwe' end, 'bench wallet ' || k
       from ${cohort(USERS - MULTI_WALLET_USERS, USERS)} u
       cross join generate_series(1, ${EXTRA_WALLETS}) k
       on conflict do nothing`
    )
    // proven wallets hold two protocols, watched ones one; the newest snapshot holds GHO
    await client.query(
      `insert into positions (user_id, wallet_address, protocol, chain_id, health_factor, collateral, debt, metadata, snapshot_at)
       select w.user_id, w.address, p.protocol, 1,
              ${snapshotColumns(`case when h = $1::int - 1 then ${stablecoin(MULTI_WALLET_ASSET)} else '[]'::jsonb end`)},
              jsonb_build_object('source', 'bench', 'block', 21000000 + h),
              timestamptz '2026-01-01T00:00:00Z' + make_interval(hours => h)
       from user_wallets w
       cross join (values ('aave_v3', 0), ('compound_v3', 1)) p(protocol, n)
       cross join generate_series(0, $1::int - 1) h
       cross join lateral (select round((2000 + random() * 1500)::numeric, 2) as price,
                                  round((random() * 4000)::numeric, 2) as extra) x
       where w.address like '0x0001%' and (p.n = 0 or w.kind = 'proven')
       on conflict do nothing`,
      [EXTRA_SNAPSHOTS]
    )
    await client.query(
      `insert into positions (user_id, wallet_address, protocol, chain_id, health_factor, collateral, debt, metadata, snapshot_at)
       select u.id, u.wallet_address, p.protocol, 1, ${snapshotColumns(stablecoin(CONTROL_ASSET))},
              jsonb_build_object('source', 'bench', 'block', 21000000 + $1::int),
              timestamptz '2026-01-01T00:00:00Z' + make_interval(hours => $1::int)
       from ${cohort(USERS - 2 * MULTI_WALLET_USERS, USERS - MULTI_WALLET_USERS)} u
       cross join (values ('aave_v3'), ('compound_v3')) p(protocol)
       cross join lateral (select round((2000 + random() * 1500)::numeric, 2) as price,
                                  round((random() * 4000)::numeric, 2) as extra) x
       on conflict do nothing`,
      [perProtocol]
    )
    await client.query('commit')
    for (const table of ['user_wallets', 'positions', 'position_heads']) {
      await client.query(`analyze ${table}`)
    }
  } catch (error) {
    await client.query('rollback')
    throw error
  } finally {
    client.release()
  }
}

/**
 * `n` random benchmark users; `wallets` 1: users with their sign-in wallet only,
 * 20: the 20-wallet cohort; any of them when not given.
 */
export async function randomUsers(
  pool: pg.Pool,
  n: number,
  wallets?: 1 | 20
): Promise<{ id: string; wallet_address: string }[]> {
  const more = `exists (select 1 from user_wallets w where w.user_id = u.id and w.proof is distinct from 'sign_in')`
  const cohort = wallets === 20 ? `and ${more}` : wallets === 1 ? `and not ${more}` : ''
  const { rows } = await pool.query(
    `select id, wallet_address from users u where wallet_address like '0x0000%' ${cohort} order by random() limit $1`,
    [n]
  )
  return rows
}
