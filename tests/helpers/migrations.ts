import { copyFileSync, mkdtempSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join, posix } from 'node:path'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import { MigrationRunner } from '@adonisjs/lucid/migration'

/**
 * A database at the schema of an earlier migration, migrated forward (and
 * back) by Lucid's own migrator with the project's own files — for testing a
 * migration that moves data, and timing it on a copy of the benchmark data.
 *
 * `before` runs the files numbered below `first`, copied under the app's tmp/
 * (Lucid lists regular files only, so no symlinks; inside the app, so their
 * package imports resolve), then renames them in adonis_schema to what the
 * project's own migrations path calls them. The database is then what a
 * deployment at that migration holds: `up` and `down` run the project's
 * configuration unchanged, as `node ace migration:run` / `migration:rollback`
 * would, and see the earlier files as already run.
 */
export class MigrationsSplit {
  readonly root: string
  readonly before: string
  #connections = 0

  constructor(readonly first: number) {
    const source = app.makePath('database', 'migrations')
    mkdirSync(app.makePath('tmp'), { recursive: true })
    this.root = mkdtempSync(app.makePath('tmp', `migrations-before-${first}-`))
    this.before = join(this.root, 'before')
    mkdirSync(this.before)
    for (const file of readdirSync(source).filter((f) => /^\d+_.*\.(ts|js)$/.test(f))) {
      if (Number(file.split('_')[0]) < first)
        copyFileSync(join(source, file), join(this.before, file))
    }
  }

  /**
   * Runs the migrator on `connectionString`: `before` builds the schema as it was
   * before migration `first`; `up` runs the pending migrations; `down` rolls back
   * `step` of them (the last batch when not given). Throws with Lucid's error on
   * failure. Returns the names of the files it ran.
   */
  async run(
    connectionString: string,
    what: 'before' | 'up' | { down: number | undefined }
  ): Promise<string[]> {
    const name = `migrations_before_${this.first}_${this.#connections++}`
    const base = db.manager.get('postgres')!.config
    const paths = base.migrations?.paths ?? ['database/migrations']
    db.manager.add(name, {
      ...base,
      connection: { connectionString },
      pool: { min: 0, max: 2 },
      migrations: { ...base.migrations, ...(what === 'before' ? { paths: [this.before] } : {}) },
    } as typeof base)
    const migrator =
      typeof what === 'object'
        ? new MigrationRunner(db, app, { direction: 'down', connectionName: name, step: what.down })
        : new MigrationRunner(db, app, { direction: 'up', connectionName: name })
    try {
      await migrator.run()
      if (migrator.error) throw migrator.error
      if (what === 'before') {
        // the names the project's own migrations path gives these files
        await db
          .connection(name)
          .rawQuery(`update adonis_schema set name = ? || substring(name from '[^/]+$')`, [
            `${posix.join(paths[0])}/`,
          ])
      }
      return Object.keys(migrator.migratedFiles)
    } finally {
      await db.manager.close(name, true)
    }
  }

  cleanup() {
    rmSync(this.root, { recursive: true, force: true })
  }
}

// GET /positions before migration 16 (app/infrastructure/database/queries/latest_positions_sql.ts
// at that commit): a loose index scan over the user's snapshots.
export const LATEST_BEFORE_16 = `
  with recursive keys (protocol, chain_id) as (
    (select protocol, chain_id from positions
      where user_id = $1 order by protocol, chain_id limit 1)
    union all
    select next.protocol, next.chain_id
    from keys k
    cross join lateral (
      select protocol, chain_id from positions
      where user_id = $1 and (protocol, chain_id) > (k.protocol, k.chain_id)
      order by protocol, chain_id limit 1
    ) next
  )
  select p.id, p.user_id, p.wallet_address, p.protocol, p.chain_id, p.health_factor,
         p.collateral, p.debt, p.metadata, p.snapshot_at, p.created_at
  from keys k
  cross join lateral (
    select * from positions
    where user_id = $1 and protocol = k.protocol and chain_id = k.chain_id
    order by snapshot_at desc limit 1
  ) p
  order by p.protocol, p.chain_id`
