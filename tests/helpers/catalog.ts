import pg from 'pg'
import db from '@adonisjs/lucid/services/db'

/**
 * Everything the migrations create in the public schema, one sorted line per
 * object: tables with their columns (type, nullability, default), constraints,
 * indexes, functions (by a digest of their definition), triggers (and whether
 * enabled), sequences, types and column comments. Lucid's own bookkeeping
 * tables (adonis_schema*) are left out: they record runs, not the schema.
 */
const CATALOG_SQL = `
  select 'table ' || c.relname || ' (' || string_agg(
           a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || case when a.attnotnull then ' not null' else '' end
           || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
           || case when a.attgenerated = 's' then ' generated' else '' end,
           ', ' order by a.attname) || ')' as line
    from pg_class c
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
   where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
   group by c.relname
  union all
  select 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
    from pg_constraint where connamespace = 'public'::regnamespace
  union all
  select 'index ' || indexdef from pg_indexes where schemaname = 'public'
  union all
  select 'function ' || p.oid::regprocedure || ' ' || md5(pg_get_functiondef(p.oid))
    from pg_proc p where p.pronamespace = 'public'::regnamespace
  union all
  select 'trigger ' || pg_get_triggerdef(t.oid) || case t.tgenabled when 'D' then ' disabled' else '' end
    from pg_trigger t join pg_class c on c.oid = t.tgrelid
   where c.relnamespace = 'public'::regnamespace and not t.tgisinternal
  union all
  select 'sequence ' || relname from pg_class
   where relnamespace = 'public'::regnamespace and relkind = 'S'
  union all
  select 'type ' || t.typname from pg_type t
   where t.typnamespace = 'public'::regnamespace and t.typtype in ('e', 'd', 'c')
     and not exists (select 1 from pg_class c where c.reltype = t.oid)
  union all
  select 'comment ' || c.relname || '.' || a.attname || ' ' || col_description(c.oid, a.attnum)
    from pg_class c join pg_attribute a on a.attrelid = c.oid
   where c.relnamespace = 'public'::regnamespace and col_description(c.oid, a.attnum) is not null
  order by 1
`

export async function catalogOf(connectionString: string): Promise<string[]> {
  const client = new pg.Client({ connectionString })
  await client.connect()
  try {
    const { rows } = await client.query<{ line: string }>(CATALOG_SQL)
    return rows.map((r) => r.line).filter((line) => !/\badonis_schema/.test(line))
  } finally {
    await client.end()
  }
}

/** The suite's own server, as a connection string for another database on it. */
export function connectionStringFor(database: string): string {
  const config = db.getRawConnection('postgres')!.config.connection as Record<string, any>
  const url = config.connectionString
    ? new URL(config.connectionString)
    : new URL(
        `postgres://${encodeURIComponent(config.user ?? 'postgres')}:${encodeURIComponent(
          config.password ?? ''
        )}@${config.host ?? '127.0.0.1'}:${config.port ?? 5432}/`
      )
  url.pathname = `/${database}`
  return url.toString()
}
