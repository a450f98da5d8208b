/**
 * A dashboard's calls, typed from the API's own document (`pnpm client:generate`
 * writes ./schema.d.ts; `pnpm typecheck` compiles this file against it).
 *
 *   import { dashboard } from './example.js'
 *   const view = await dashboard('http://localhost:3333', token)
 */
import createClient from 'openapi-fetch'
import type { components, paths } from './schema.js'

type Position = components['schemas']['Position']
type Alert = components['schemas']['Alert']

export async function dashboard(baseUrl: string, token: string) {
  const api = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } })

  const positions = await api.GET('/api/v1/positions')
  if (positions.error) throw new Error(positions.error.errors[0].message)

  // Paths, query parameters and bodies are checked by the compiler: a typo in
  // `severity` or a number where a decimal string belongs does not compile.
  const alerts = await api.GET('/api/v1/alerts', {
    params: { query: { status: 'pending', severity: 'critical', limit: 20 } },
  })
  if (alerts.error) throw new Error(alerts.error.errors[0].message)

  const first: Position | undefined = positions.data.data[0]
  const simulation = first
    ? await api.POST('/api/v1/positions/simulate', {
        body: { protocol: first.protocol, chainId: first.chainId, priceChanges: { ETH: '-0.2' } },
      })
    : undefined

  return {
    positions: positions.data.data,
    criticalAlerts: alerts.data.data satisfies Alert[],
    nextAlertsCursor: alerts.data.meta.nextCursor,
    ifEthDrops20Pct: simulation?.data?.data.simulatedHealthFactor ?? null,
  }
}
