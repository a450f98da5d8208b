import { copyFileSync, mkdtempSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import { MigrationRunner } from '@adonisjs/lucid/migration'

/**
 * A database at the schema of an earlier migration, migrated forward (and
 * back) by Lucid's own migrator with the project's own files — for testing a
 * migration that moves data, and timing it on a copy of the benchmark data.
 *
 * The migration files are split at `first` into two folders of copies under
 * the app's tmp/ (Lucid lists regular files only, so no symlinks; inside the
 * app, so their package imports resolve): `before` (files numbered below
 * `first`) and `from` (the rest). A connection
 * whose migrations path is `before` only builds the earlier schema; one whose
 * paths are `before` then `from` sees the earlier files as already run (same
 * names in adonis_schema) and runs, or rolls back, only the later ones.
 */
export class MigrationsSplit {
  readonly root: string
  readonly before: string
  readonly from: string
  readonly fromFiles: string[]
  #connections: string[] = []

  constructor(readonly first: number) {
    const source = app.makePath('database', 'migrations')
    mkdirSync(app.makePath('tmp'), { recursive: true })
    this.root = mkdtempSync(app.makePath('tmp', `migrations-split-${first}-`))
    this.before = join(this.root, 'before')
    this.from = join(this.root, 'from')
    mkdirSync(this.before)
    mkdirSync(this.from)
    const files = readdirSync(source).filter((file) => /^\d+_.*\.(ts|js)$/.test(file))
    this.fromFiles = []
    for (const file of files) {
      const number = Number(file.split('_')[0])
      copyFileSync(join(source, file), join(number < first ? this.before : this.from, file))
      if (number >= first) this.fromFiles.push(file)
    }
    if (this.fromFiles.length === 0) throw new Error(`no migration numbered ${first} or above`)
  }

  /**
   * Runs the migrator on `connectionString`: `before` builds the schema as it was
   * before migration `first`; `up` runs the later ones; `down` rolls back `step`
   * of them (the last batch when not given). Throws with Lucid's error on failure.
   * Returns the names of the files it ran.
   */
  async run(
    connectionString: string,
    what: 'before' | 'up' | { down: number | undefined }
  ): Promise<string[]> {
    const name = `split_${what === 'before' ? 'before' : 'all'}_${this.#connections.length}`
    const base = db.manager.get('postgres')!.config
    db.manager.add(name, {
      ...base,
      connection: { connectionString },
      pool: { min: 0, max: 2 },
      migrations: {
        ...base.migrations,
        naturalSort: true,
        paths: what === 'before' ? [this.before] : [this.before, this.from],
      },
    } as typeof base)
    this.#connections.push(name)
    const migrator =
      typeof what === 'object'
        ? new MigrationRunner(db, app, {
            direction: 'down',
            connectionName: name,
            step: what.down,
          })
        : new MigrationRunner(db, app, { direction: 'up', connectionName: name })
    try {
      await migrator.run()
      if (migrator.error) throw migrator.error
      return Object.keys(migrator.migratedFiles)
    } finally {
      await db.manager.close(name, true)
    }
  }

  async cleanup() {
    for (const name of this.#connections) {
      if (db.manager.has(name)) await db.manager.close(name, true)
    }
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
