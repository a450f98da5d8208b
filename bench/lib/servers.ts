import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

/** Server logs are dropped unless BENCH_LOG_LEVEL names a level (then on stdout). */
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

async function waitFor(url: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url)
      if (response.status < 500) return
    } catch {}
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${url} did not come up`)
}

export interface RunningServer {
  url: string
  stop(): Promise<void>
}

function start(
  args: string[],
  port: number,
  readyPath: string,
  extraEnv: Record<string, string> = {},
  cwd = ROOT
) {
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd,
    // Production settings where .env.test differs (it turns the auth cache off for tests).
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: LOG_LEVEL ?? 'silent',
      ACCESS_TOKEN_CACHE_MS: '5000',
      RISK_MODEL_CACHE_MS: '60000',
      ...extraEnv,
    },
    stdio: ['ignore', LOG_LEVEL ? 'inherit' : 'ignore', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  return {
    ready: waitFor(url + readyPath),
    server: {
      url,
      stop: () =>
        new Promise<void>((resolve) => {
          child.once('exit', () => resolve())
          child.kill('SIGTERM')
          setTimeout(() => child.kill('SIGKILL'), 5_000).unref()
        }),
    },
  }
}

/** The real API (`pnpm start`'s entry point) in a child process. */
export async function startApi(
  env: Record<string, string> = {},
  root = ROOT
): Promise<RunningServer> {
  const { ready, server } = start(['bin/start.js'], await freePort(), '/health/live', env, root)
  await ready
  return server
}

/** The baseline: node:http + pg, same query, no framework. */
export async function startBare(): Promise<RunningServer> {
  const { ready, server } = start(
    ['--import', '@poppinss/ts-exec', 'bench/lib/bare_server.ts'],
    await freePort(),
    '/health'
  )
  await ready
  return server
}

/** A queue worker (`node ace queue:work`), as `pnpm worker` runs it. */
export function startWorker(env: Record<string, string> = {}): RunningServer {
  const child: ChildProcess = spawn(process.execPath, ['ace.js', 'queue:work'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: LOG_LEVEL ?? 'silent', ...env },
    stdio: ['ignore', LOG_LEVEL ? 'inherit' : 'ignore', 'inherit'],
  })
  return {
    url: '',
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref()
      }),
  }
}
