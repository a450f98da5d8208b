import { test } from '@japa/runner'
import { spawn } from 'node:child_process'
import app from '@adonisjs/core/services/app'

/** Boots the API as `pnpm start` does, in production, and returns how it ended. */
function bootInProduction(env: Record<string, string | undefined>) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, ['bin/start.js'], {
      cwd: app.appRoot.pathname,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        LOG_LEVEL: 'info',
        PORT: '0',
        HOST: '127.0.0.1',
        ...env,
      },
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    // started: a production boot that passed validation logs its HTTP server
    const started = setInterval(() => {
      if (output.includes('started HTTP server')) child.kill('SIGTERM')
    }, 100)
    const stuck = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('exit', (code) => {
      clearInterval(started)
      clearTimeout(stuck)
      resolve({ code, output })
    })
  })
}

test.group('Config | what production requires', () => {
  test('without SIWE_DOMAIN and SIWE_URI, production refuses to boot and says why', async ({
    assert,
  }) => {
    const refused = await bootInProduction({ SIWE_DOMAIN: '', SIWE_URI: '' })
    assert.notEqual(refused.code, 0)
    assert.include(refused.output, 'SIWE_DOMAIN')
    assert.include(refused.output, 'SIWE_URI')
    assert.notInclude(refused.output, 'started HTTP server')

    const booted = await bootInProduction({
      SIWE_DOMAIN: 'app.example.com',
      SIWE_URI: 'https://app.example.com',
    })
    assert.include(booted.output, 'started HTTP server')
  }).timeout(60_000)
})
