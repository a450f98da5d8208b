import { test } from '@japa/runner'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseEnv } from 'node:util'
import app from '@adonisjs/core/services/app'
import { freePort } from '#tests/helpers/api_process'

/*
 * Issue 21: the newcomer's path as root — `pnpm dev` (and `pnpm test`) from a clone in a
 * folder no other user may enter, with no database configured, so the embedded PostgreSQL
 * starts — and stopping it the way a supervisor or a closed terminal does: SIGTERM or
 * SIGHUP to the pnpm process. Nothing of the clone may outlive pnpm (PostgreSQL, ace serve
 * and its server, the queue worker, the watchdog), and a second `pnpm dev` must start on
 * the same cluster. Slow (real processes, ~10 s a start), so it lives with the other
 * process-level tests in the resilience suite.
 */

const READY_MS = 120_000
const EXIT_MS = 60_000
const LEFTOVER_MS = 20_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The working tree as a commit of it would be: tracked and unignored files, no node_modules, .env or .data. */
function copyWorkingTree(from: string, to: string) {
  const listed = spawnSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: from,
      encoding: 'utf8',
    }
  )
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`)
  for (const path of listed.stdout.split('\0').filter(Boolean)) {
    // Deleted but not yet committed: a commit would not have it either.
    if (!existsSync(join(from, path))) continue
    mkdirSync(dirname(join(to, path)), { recursive: true })
    cpSync(join(from, path), join(to, path), { verbatimSymlinks: true })
  }
}

interface Leftover {
  pid: number
  command: string
}

/** Live processes whose command line or working directory is inside one of `paths`. */
function processesUnder(paths: string[]): Leftover[] {
  const found: Leftover[] = []
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      if (/^\d+ \(.*\) Z/.test(stat)) continue
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
      let cwd = ''
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`)
      } catch {}
      if (paths.some((path) => command.includes(path) || cwd.startsWith(path))) {
        found.push({ pid, command: command || `(cwd ${cwd})` })
      }
    } catch {
      // Gone while we looked.
    }
  }
  return found
}

test.group('Resilience | pnpm dev as root in a private clone', (group) => {
  let parent = ''
  let clone = ''
  let env: Record<string, string> = {}
  let logs = 0
  const started: ChildProcess[] = []

  /** Where the clone's cluster is: .data/postgres, or where its symlink points (as root). */
  const dataDir = () => {
    const local = join(clone, '.data', 'postgres')
    return existsSync(local) ? realpathSync(local) : local
  }
  const leftovers = () => processesUnder([clone, dataDir()])

  group.setup(async () => {
    // mkdtemp makes the folder 0700: the postgres user cannot enter the clone.
    parent = mkdtempSync(join(tmpdir(), 'defi-dev-clone-'))
    clone = join(parent, 'app')
    copyWorkingTree(app.appRoot.pathname, clone)
    // node_modules inside the private folder too, as a real clone has it: from the
    // store the suite's own install filled, so no network and ~2 s.
    const install = spawnSync('pnpm', ['install', '--offline', '--frozen-lockfile'], {
      cwd: clone,
      encoding: 'utf8',
      timeout: 120_000,
    })
    if (install.status !== 0) {
      throw new Error(`pnpm install --offline failed: ${install.stdout}\n${install.stderr}`)
    }
    const [port, pgPort] = [await freePort(), await freePort()]
    // A newcomer's shell: no database configured (CI's DB_* included), and nothing of this
    // runner's own mode — .env.test is in process.env by now (WORKERS=off among it).
    const runnerOnly = new Set(
      Object.keys(parseEnv(readFileSync(join(clone, '.env.test'), 'utf8')))
    )
    env = Object.fromEntries(
      Object.entries(process.env).filter(
        ([key, value]) =>
          value !== undefined &&
          !runnerOnly.has(key) &&
          !/^(DATABASE_URL|DB_.*|NODE_ENV|npm_.*)$/.test(key)
      )
    ) as Record<string, string>
    Object.assign(env, { PORT: String(port), HOST: '127.0.0.1', EMBEDDED_PG_PORT: String(pgPort) })

    return async () => {
      for (const child of started) child.kill('SIGKILL')
      const data = dataDir()
      for (const { pid } of leftovers()) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {}
      }
      // As root the cluster lives outside the clone, in a folder of its own.
      if (!data.startsWith(clone)) rmSync(dirname(data), { recursive: true, force: true })
      rmSync(parent, { recursive: true, force: true })
    }
  })

  /** `pnpm dev` until /health/ready answers 200; its pid and how long that took. */
  async function startDev(): Promise<{ pnpm: ChildProcess; log: string; readyMs: number }> {
    const log = join(parent, `dev-${++logs}.log`)
    const t0 = Date.now()
    const pnpm = spawn('pnpm', ['dev'], {
      cwd: clone,
      env,
      stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')],
    })
    started.push(pnpm)
    const url = `http://127.0.0.1:${env.PORT}/health/ready`
    while (Date.now() - t0 < READY_MS) {
      if (pnpm.exitCode !== null || pnpm.signalCode !== null) break
      const status = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.status,
        () => 0
      )
      if (status === 200) return { pnpm, log, readyMs: Date.now() - t0 }
      await sleep(250)
    }
    pnpm.kill('SIGKILL')
    throw new Error(`pnpm dev was not ready within ${READY_MS} ms:\n${tail(log)}`)
  }

  const tail = (log: string) => readFileSync(log, 'utf8').split('\n').slice(-30).join('\n')

  /** Signals pnpm alone; resolves with how long pnpm and then everything of the clone took to go. */
  async function stopDev(pnpm: ChildProcess, signal: NodeJS.Signals, log: string) {
    const t0 = Date.now()
    const exited = new Promise<boolean>((resolve) => {
      if (pnpm.exitCode !== null || pnpm.signalCode !== null) return resolve(true)
      const timer = setTimeout(() => resolve(false), EXIT_MS)
      pnpm.once('exit', () => {
        clearTimeout(timer)
        resolve(true)
      })
    })
    pnpm.kill(signal)
    if (!(await exited)) throw new Error(`pnpm still running ${EXIT_MS} ms after ${signal}`)
    const pnpmMs = Date.now() - t0
    let left = leftovers()
    while (left.length && Date.now() - t0 < pnpmMs + LEFTOVER_MS) {
      await sleep(200)
      left = leftovers()
    }
    return { pnpmMs, allMs: Date.now() - t0, left, log: tail(log) }
  }

  test('the clone is out of the postgres user’s reach', ({ assert }) => {
    assert.equal(statSync(parent).mode & 0o777, 0o700)
    if (process.getuid?.() !== 0) return
    const probe = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', clone], {
      env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
    })
    assert.notEqual(probe.status, 0, 'the postgres user can enter the clone: nothing is tested')
  })

  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    test(`${signal} to pnpm dev stops PostgreSQL, the API and the worker; a second pnpm dev starts clean`, async ({
      assert,
    }) => {
      for (const round of ['first', 'second']) {
        const { pnpm, log, readyMs } = await startDev()
        let stopped
        try {
          const running = leftovers().map((p) => p.command)
          for (const [what, pattern] of [
            ['PostgreSQL', /postgres -D /],
            ['ace serve', /ace\.js serve/],
            ['the queue worker', /ace\.js queue:work/],
          ] as const) {
            assert.isTrue(
              running.some((command) => pattern.test(command)),
              `${round} pnpm dev: ${what} should be running:\n${running.join('\n')}`
            )
          }
        } finally {
          stopped = await stopDev(pnpm, signal, log)
        }
        assert.deepEqual(
          stopped.left,
          [],
          `${round} pnpm dev, ${signal}: left running\n${stopped.log}`
        )
        assert.isTrue(
          existsSync(join(dataDir(), 'PG_VERSION')),
          'the cluster stays for the next start'
        )
        console.log(
          `  ${signal}, ${round} pnpm dev: ready in ${readyMs} ms; pnpm gone ${stopped.pnpmMs} ms ` +
            `after the signal, everything ${stopped.allMs} ms`
        )
      }
    }).timeout(360_000)
  }

  // The commands the product is named for, as a user runs them on the embedded cluster
  // the rounds above left with the demo data in it.
  test('on that cluster, with data: db:migrate, db:migrate:fresh twice, then pnpm dev', async ({
    assert,
  }) => {
    for (const script of ['db:migrate', 'db:migrate:fresh', 'db:migrate:fresh']) {
      const run = spawnSync('pnpm', [script], {
        cwd: clone,
        env,
        encoding: 'utf8',
        timeout: 120_000,
      })
      assert.equal(run.status, 0, `pnpm ${script}:\n${run.stdout}\n${run.stderr}`)
      assert.deepEqual(leftovers(), [], `pnpm ${script} left processes running`)
    }
    const { pnpm, log } = await startDev()
    try {
      // fresh emptied the database: pnpm dev seeded the demo user again
      const session = await fetch(`http://127.0.0.1:${env.PORT}/dev/demo-session`, {
        method: 'POST',
        signal: AbortSignal.timeout(5000),
      })
      assert.equal(session.status, 200, tail(log))
    } finally {
      const stopped = await stopDev(pnpm, 'SIGTERM', log)
      assert.deepEqual(stopped.left, [], stopped.log)
    }
  }).timeout(360_000)

  test('pnpm test runs on a throwaway cluster from the same clone', ({ assert }) => {
    const spec = readdirSync(join(clone, 'tests/unit/validators')).find((f) =>
      f.endsWith('.spec.ts')
    )
    const t0 = Date.now()
    const run = spawnSync('pnpm', ['test', `--files=tests/unit/validators/${spec}`], {
      cwd: clone,
      env,
      encoding: 'utf8',
      timeout: 180_000,
    })
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`)
    console.log(`  pnpm test (one unit file, throwaway cluster): ${Date.now() - t0} ms`)
  }).timeout(200_000)
})
