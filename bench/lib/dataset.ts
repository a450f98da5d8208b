import type pg from 'pg'

export const USERS = Number(process.env.BENCH_USERS ?? 100_000)
export const SNAPSHOTS_PER_USER = Number(process.env.BENCH_SNAPSHOTS_PER_USER ?? 20)

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
  const counts = await pool.query(
    `select (select count(*) from users)::int as users, (select count(*) from positions)::int as snapshots`
  )
  return { ...counts.rows[0], seconds: (performance.now() - started) / 1000 }
}

export async function randomUsers(
  pool: pg.Pool,
  n: number
): Promise<{ id: string; wallet_address: string }[]> {
  const { rows } = await pool.query(
    `select id, wallet_address from users where wallet_address like '0x0000%' order by random() limit $1`,
    [n]
  )
  return rows
}
