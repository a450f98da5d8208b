import pg from 'pg'
import type { BenchResult } from './run.js'
import { ensureDataset, pgConfig, USERS } from './lib/dataset.js'
import { LATEST_POSITIONS_SQL } from './lib/queries.js'

/*
 * `pnpm bench migrate`: migration 16 (user_wallets, docs/adr/0014) timed on a copy
 * of the benchmark database at the schema before it.
 *
 * `<DB_DATABASE>_pre16` is the benchmark dataset (users, 2M snapshots, heads) built
 * at the schema of migrations 1–15 by Lucid's migrator (tests/helpers/migrations.ts),
 * plus what 16 also moves: both rule states for every head, snoozes, intents,
 * position alerts and a USDC fan-out's signal alerts. Built once and kept, like the
 * benchmark database. Each run copies it (CREATE DATABASE … TEMPLATE), runs migration
 * 16 on the copy, times it, checks the moved data as
 * tests/functional/database/user_wallets_migration.spec.ts does (in aggregate SQL, and
 * GET /positions for a sample of users against the query before 16), and drops the copy.
 */

const SAMPLE = 500
const TEMPLATE = `${process.env.DB_DATABASE}_pre16`
const COPY = `${process.env.DB_DATABASE}_pre16_copy`

const KEYED = [
  'position_heads',
  'health_factor_alert_state',
  'liquidation_probability_alert_state',
  'position_snoozes',
  'intents',
] as const
const COUNTED = ['users', 'positions', 'alerts', ...KEYED] as const

function urlOf(database: string) {
  const c = pgConfig()
  return `postgres://${encodeURIComponent(c.user ?? 'postgres')}:${encodeURIComponent(
    String(c.password ?? '')
  )}@${c.host ?? '127.0.0.1'}:${c.port ?? 5432}/${database}`
}

async function withPool<T>(database: string, work: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ ...pgConfig(), database, max: 2 })
  try {
    return await work(pool)
  } finally {
    await pool.end()
  }
}

/** What 16 moves besides positions and heads, at the schema before it. */
const EXTRAS = [
  `insert into health_factor_alert_state (user_id, protocol, chain_id, armed, band, last_alert_at, last_snapshot_at)
   select user_id, protocol, chain_id, false, 'low', snapshot_at, snapshot_at from position_heads`,
  `insert into liquidation_probability_alert_state (user_id, protocol, chain_id, last_snapshot_at)
   select user_id, protocol, chain_id, snapshot_at from position_heads`,
  `insert into position_snoozes (user_id, protocol, chain_id, until)
   select user_id, protocol, chain_id, timestamptz '2027-01-01' from position_heads
   where protocol = 'compound_v3' and right(user_id::text, 1) = '0'`,
  `insert into intents (user_id, name, protocol, chain_id, condition, action)
   select user_id, 'repay', protocol, chain_id, '{"type":"health_factor_below","value":"1.3"}',
          '{"type":"repay","asset":"USDC","amount":"100"}'
   from position_heads where protocol = 'aave_v3' and right(user_id::text, 1) in ('0', '1')`,
  `insert into alerts (user_id, type, severity, channel, message, metadata, status, sent_at)
   select user_id, 'health_factor', 'high', 'in_app', 'Health factor low',
          jsonb_build_object('snapshotId', snapshot_id, 'protocol', protocol, 'chainId', chain_id), 'sent', now()
   from position_heads where protocol = 'aave_v3'`,
  `insert into signals (type, asset, severity, detected_at) values ('depeg', 'USDC', 'high', '2026-01-02')`,
  `insert into alerts (user_id, signal_id, type, severity, channel, message, metadata, status, sent_at)
   select u.id, s.id, 'depeg', 'high', c, 'Depeg on USDC', '{"asset":"USDC"}',
          case when c = 'in_app' then 'sent' else 'pending' end, case when c = 'in_app' then now() end
   from users u cross join signals s cross join (values ('in_app'), ('telegram')) ch(c)`,
  'vacuum analyze',
]

async function counts(pool: pg.Pool) {
  const out: Record<string, number> = {}
  for (const table of COUNTED) {
    out[table] = (await pool.query(`select count(*)::int as n from ${table}`)).rows[0].n
  }
  return out
}

/** The database before 16, built once: complete when it has the users and the extras. */
async function ensureTemplate(split: { run(url: string, what: 'before'): Promise<string[]> }) {
  const admin = new pg.Pool({ ...pgConfig(), max: 1 })
  try {
    const exists = (await admin.query('select 1 from pg_database where datname = $1', [TEMPLATE]))
      .rowCount
    if (exists) {
      const complete = await withPool(TEMPLATE, async (pool) => {
        const { rows } = await pool.query(
          `select to_regclass('user_wallets') is null and to_regclass('adonis_schema') is not null
                  and (select count(*) from users) >= $1
                  and exists (select 1 from intents)
                  and not exists (select 1 from adonis_schema where name not like 'database/migrations/%') as ok`,
          [USERS]
        )
        return rows[0].ok
      }).catch(() => false)
      if (complete) return 0
      await admin.query(`drop database ${TEMPLATE} with (force)`)
    }
    const started = performance.now()
    await admin.query(`create database ${TEMPLATE}`)
    await split.run(urlOf(TEMPLATE), 'before')
    await withPool(TEMPLATE, async (pool) => {
      await ensureDataset(pool)
      for (const statement of EXTRAS) await pool.query(statement)
    })
    return (performance.now() - started) / 1000
  } finally {
    await admin.end()
  }
}

/** The checks of what 16 moved (aggregate SQL at this volume); problems, or none. */
async function verify(
  pool: pg.Pool,
  before: { counts: Record<string, number>; latest: Map<string, unknown[]> }
) {
  const problems: string[] = []
  const one = async (sql: string) => (await pool.query(sql)).rows[0]
  const wallets = await one(`
    select (select count(*) from user_wallets)::int as wallets,
           (select count(*) from users u
             where (select count(*) from user_wallets w where w.user_id = u.id) <> 1)::int as not_one,
           (select count(*) from user_wallets w join users u on u.id = w.user_id
             where not (w.kind = 'proven' and w.proof = 'sign_in' and w.address = u.wallet_address))::int as not_sign_in`)
  if (wallets.wallets !== before.counts.users) problems.push(`${wallets.wallets} wallets`)
  if (wallets.not_one) problems.push(`${wallets.not_one} users without exactly one wallet`)
  if (wallets.not_sign_in) problems.push(`${wallets.not_sign_in} wallets not the sign-in one`)
  for (const table of [...KEYED, 'positions']) {
    const r = await one(`
      select count(*) filter (where t.wallet_address is distinct from u.wallet_address)::int as other
      from ${table} t join users u on u.id = t.user_id`)
    if (r.other) problems.push(`${table}: ${r.other} rows not on the sign-in wallet`)
  }
  const alerts = await one(`
    select count(*) filter (where (a.metadata ? 'snapshotId') <> (a.wallet_address is not null)
                              or a.wallet_address <> u.wallet_address)::int as wrong
    from alerts a join users u on u.id = a.user_id`)
  if (alerts.wrong) problems.push(`alerts: ${alerts.wrong} with a wrong wallet`)
  const after = await counts(pool)
  for (const table of COUNTED) {
    if (after[table] !== before.counts[table])
      problems.push(`${table}: ${before.counts[table]} rows before, ${after[table]} after`)
  }
  for (const [user, rows] of before.latest) {
    const now = (await pool.query(LATEST_POSITIONS_SQL, [user])).rows
    if (JSON.stringify(now) !== JSON.stringify(rows)) problems.push(`GET /positions of ${user}`)
  }
  return problems
}

export default {
  name: 'migrate',
  async run(): Promise<BenchResult> {
    const { MigrationsSplit, LATEST_BEFORE_16 } = await import('#tests/helpers/migrations')
    const split = new MigrationsSplit(16)
    try {
      const built = await ensureTemplate(split)
      if (built)
        console.log(`migrate: ${TEMPLATE} built at the schema before 16 in ${built.toFixed(1)} s`)

      const admin = new pg.Pool({ ...pgConfig(), max: 1 })
      let copySeconds: number
      try {
        await admin.query(`drop database if exists ${COPY} with (force)`)
        const t0 = performance.now()
        await admin.query(`create database ${COPY} template ${TEMPLATE} strategy file_copy`)
        copySeconds = (performance.now() - t0) / 1000
      } finally {
        await admin.end()
      }

      try {
        const before = await withPool(COPY, async (pool) => {
          const users = (
            await pool.query(
              `select id from users where wallet_address like '0x0000%' order by random() limit $1`,
              [SAMPLE]
            )
          ).rows
          const latest = new Map<string, unknown[]>()
          for (const { id } of users)
            latest.set(id, (await pool.query(LATEST_BEFORE_16, [id])).rows)
          return { counts: await counts(pool), latest }
        })

        const t0 = performance.now()
        const ran = await split.run(urlOf(COPY), 'up')
        const seconds = (performance.now() - t0) / 1000
        if (ran.length !== 1 || !ran[0].endsWith('16_create_user_wallets_table')) {
          throw new Error(`expected migration 16 alone, ran ${ran.join(', ')}`)
        }

        const problems = await withPool(COPY, (pool) => verify(pool, before))
        const rowCounts = COUNTED.map((t) => `${t} ${before.counts[t].toLocaleString('en')}`).join(
          ', '
        )
        console.log(
          `migrate: migration 16 on a copy of the benchmark database (${rowCounts}): ${seconds.toFixed(1)} s ` +
            `(the copy itself ${copySeconds.toFixed(1)} s); moved data ${problems.length ? `WRONG: ${problems.slice(0, 10).join('; ')}` : `verified (counts, wallets, GET /positions of ${before.latest.size} users)`}`
        )
        return {
          metric: `migration 16 on a copy of the benchmark database at the schema before it (${rowCounts}), seconds; moved data ${problems.length ? 'WRONG' : 'verified'}`,
          api: Number(seconds.toFixed(1)),
          baseline: Number(copySeconds.toFixed(1)),
          baselineName: 'CREATE DATABASE … TEMPLATE of the same data, seconds',
          ratio: seconds / copySeconds,
          target: 'figure only (moved data verified)',
          pass: problems.length === 0,
        }
      } finally {
        const cleanup = new pg.Pool({ ...pgConfig(), max: 1 })
        await cleanup.query(`drop database if exists ${COPY} with (force)`)
        await cleanup.end()
      }
    } finally {
      split.cleanup()
    }
  },
}
