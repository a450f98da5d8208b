import net from 'node:net'

/**
 * A TCP relay that can go silent: after `freeze()` nothing is forwarded either
 * way and nothing is closed — a NAT entry or a proxy that dropped a connection
 * without telling either end. TCP keepalive cannot see it: the relay's own
 * sockets are alive.
 */
export class TcpProxy {
  #server: net.Server
  #sockets = new Set<net.Socket>()
  #frozen = false
  /** Client connections relayed so far. */
  connections = 0
  port = 0

  constructor(target: { host: string; port: number }) {
    this.#server = net.createServer((client) => {
      this.connections++
      const upstream = net.connect(target.port, target.host)
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket)
        socket.on('close', () => this.#sockets.delete(socket))
        socket.on('error', () => {})
      }
      client.on('data', (data) => this.#frozen || upstream.write(data))
      upstream.on('data', (data) => this.#frozen || client.write(data))
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
    })
  }

  async start() {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    this.port = (this.#server.address() as net.AddressInfo).port
    return this
  }

  freeze() {
    this.#frozen = true
  }

  async stop() {
    for (const socket of this.#sockets) socket.destroy()
    await new Promise((resolve) => this.#server.close(resolve))
  }
}
