/*
 * The same-run baseline for GET /api/v1/positions: node:http + pg running the
 * same SQL the API runs, JSON-serialising the rows. No framework, no auth.
 */
import { createServer } from 'node:http'
import pg from 'pg'
import { pgConfig } from './dataset.js'
import { LATEST_POSITIONS_SQL } from './queries.js'

const pool = new pg.Pool(pgConfig())
const port = Number(process.env.PORT)

createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://x')
  if (url.pathname === '/health') {
    res.end('ok')
    return
  }
  try {
    const { rows } = await pool.query(LATEST_POSITIONS_SQL, [url.searchParams.get('user')])
    const body = JSON.stringify({ data: rows, meta: { nextCursor: null } })
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(body)
  } catch (error) {
    res.writeHead(500)
    res.end(String(error))
  }
}).listen(port, '127.0.0.1')

process.on('SIGTERM', () => pool.end().then(() => process.exit(0)))
