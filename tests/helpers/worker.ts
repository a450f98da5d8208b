import { spawn, type ChildProcess } from 'node:child_process'
import app from '@adonisjs/core/services/app'

/** A real `node ace queue:work` process, as production runs it, with test overrides. */
export function startWorker(env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['ace.js', 'queue:work'], {
    cwd: app.appRoot.pathname,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      QUEUE_STALLED_THRESHOLD: '2s',
      QUEUE_STALLED_INTERVAL: '500ms',
      DELIVERY_SWEEP_EVERY: '1s',
      ...env,
    },
    stdio: 'ignore',
  })
}
