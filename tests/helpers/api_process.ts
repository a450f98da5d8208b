import { spawn, type ChildProcess } from 'node:child_process'
import { openSync } from 'node:fs'
import { createServer } from 'node:net'
import app from '@adonisjs/core/services/app'

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/**
 * A real API process (bin/start.js, as `pnpm start` runs it) on a free port,
 * with the test environment plus `env`; resolves once /health/live answers.
 */
export async function startApiProcess(
  env: Record<string, string | undefined> = {}
): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort()
  const child = spawn(process.execPath, ['bin/start.js'], {
    cwd: app.appRoot.pathname,
    env: { ...process.env, NODE_ENV: 'test', ...env, PORT: String(port), HOST: '127.0.0.1' },
    // API_PROCESS_LOG=path keeps the process's output, to see why a test failed.
    stdio: process.env.API_PROCESS_LOG
      ? [
          'ignore',
          openSync(process.env.API_PROCESS_LOG, 'a'),
          openSync(process.env.API_PROCESS_LOG, 'a'),
        ]
      : 'ignore',
  })
  const base = `http://127.0.0.1:${port}`
  for (let i = 0; i < 200; i++) {
    const up = await fetch(`${base}/health/live`).then(
      (r) => r.ok,
      () => false
    )
    if (up) return { child, base }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill('SIGKILL')
  throw new Error('the API process did not start')
}
