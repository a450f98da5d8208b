import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const CONFIG = fileURLToPath(new URL('./hardhat.config.js', import.meta.url))
const CLI = fileURLToPath(new URL('../../../node_modules/hardhat/dist/src/cli.js', import.meta.url))

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

export interface ChainNode {
  url: string
  port: number
  chainId: number
  child: ChildProcess
  /** SIGTERM, then SIGKILL if it lingers; resolves once the process is gone. */
  stop(): Promise<void>
}

async function rpc(url: string, method: string, params: unknown[] = []) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(2_000),
  })
  return ((await response.json()) as { result: unknown }).result
}

/**
 * A Hardhat 3 (EDR) JSON-RPC node on 127.0.0.1, automining, with the usual
 * funded test accounts. `port` reuses a port (a node "coming back" after an
 * outage); `chainId` makes one that answers for another chain.
 */
export async function startChainNode(
  options: { port?: number; chainId?: number } = {}
): Promise<ChainNode> {
  const port = options.port ?? (await freePort())
  const chainId = options.chainId ?? 31337
  const child = spawn(
    process.execPath,
    [
      CLI,
      'node',
      '--config',
      CONFIG,
      '--hostname',
      '127.0.0.1',
      '--port',
      String(port),
      '--chain-id',
      String(chainId),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, HARDHAT_DISABLE_TELEMETRY: 'true' },
      stdio: ['ignore', 'ignore', 'pipe'],
    }
  )
  let stderr = ''
  child.stderr?.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
  // bounded: 60 s covers a cold start on a loaded 2-core machine
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) break
    const id = await rpc(url, 'eth_chainId').catch(() => null)
    if (id !== null && id !== undefined) return { url, port, chainId, child, stop }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  await stop()
  throw new Error(`the hardhat node did not start on port ${port}: ${stderr}`)
}
