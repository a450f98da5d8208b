import { test } from '@japa/runner'
import { UserFactory } from '#factories/user_factory'
import { serviceToken, userToken } from '#tests/helpers/auth'
import { rawRequest } from '#tests/helpers/http'
import { truncateAll } from '#tests/helpers/database'
import { snapshotBody } from '#tests/helpers/snapshots'

/** Values that are wrong for almost any field, each in its own way. */
const GARBAGE: unknown[] = [
  null,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 53 + 1,
  '',
  ' ',
  '1e5',
  '-0',
  'NaN',
  'Infinity',
  '0x10',
  '١٢٣',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59-23:59',
  '2026-02-30T00:00:00Z',
  '275760-09-13T00:00:00Z',
  'x'.repeat(5000),
  '😀',
  true,
  [],
  [1, 2],
  {},
  { a: { b: 1 } },
]

const cursorOf = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url')
const SOME_UUID = '01900000-0000-7000-8000-000000000000'

const QUERY_GARBAGE = [
  // cursors of the right shape whose values PostgreSQL cannot cast
  cursorOf(['2026-02-30T00:00:00Z', SOME_UUID]),
  cursorOf(['0000-01-01T00:00:00Z', SOME_UUID]),
  cursorOf(['0', '99999999999999999999']),
  cursorOf(['99999999999999999999', '1']),
  cursorOf(['-1', '1']),
  '',
  '-1',
  '0',
  '1e3',
  '99999999999999999999',
  'NaN',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59-23:59',
  'x'.repeat(300),
  '%00',
  '😀',
  '[]',
]

/** Every field of `body` replaced, in turn, by every garbage value (and removed). */
function* mutations(body: Record<string, unknown>, path: string[] = []): Generator<unknown> {
  for (const [key, value] of Object.entries(body)) {
    for (const garbage of [...GARBAGE, undefined]) {
      yield setAt(structuredClone(body), [key], garbage)
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const nested of mutations(value as Record<string, unknown>, [...path, key])) {
        yield setAt(structuredClone(body), [key], nested)
      }
    }
    if (Array.isArray(value) && value[0] && typeof value[0] === 'object') {
      for (const nested of mutations(value[0] as Record<string, unknown>)) {
        yield setAt(structuredClone(body), [key], [nested])
      }
    }
  }
}

function setAt(target: Record<string, unknown>, keys: string[], value: unknown) {
  if (value === undefined) delete target[keys[0]]
  else target[keys[0]] = value
  return target
}

function inErrorShape(text: string) {
  try {
    const body = JSON.parse(text)
    return Array.isArray(body.errors) && typeof body.errors[0]?.code === 'string'
  } catch {
    return false
  }
}

async function send(method: string, path: string, token: string, body?: unknown) {
  const response = await rawRequest(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, text }
}

test.group('HTTP | garbage in any field is a 4xx in the error shape, never a 500', (group) => {
  // Not a global transaction: one failed statement there would fail every later request.
  group.each.setup(() => truncateAll)
  group.each.timeout(120_000)

  test('bodies', async ({ assert }) => {
    const user = await UserFactory.create()
    const token = await userToken(user)
    const service = await serviceToken(['positions:write', 'signals:write'])
    const intent = await send('POST', '/api/v1/intents', token, {
      protocol: 'aave_v3',
      chainId: 1,
      condition: { metric: 'health_factor', operator: 'lt', value: '1.2' },
      action: { type: 'notify', asset: 'USDT', amount: 'max' },
    })
    assert.equal(intent.status, 201, intent.text)
    const intentId = JSON.parse(intent.text).data.id
    const routes: [string, string, string, Record<string, unknown>][] = [
      ['POST', '/api/v1/positions', token, snapshotBody()],
      [
        'POST',
        '/api/v1/positions/batch',
        service,
        { snapshots: [snapshotBody({ walletAddress: user.walletAddress })] },
      ],
      [
        'POST',
        '/api/v1/positions/simulate',
        token,
        { protocol: 'aave_v3', chainId: 1, priceChanges: { WETH: '-0.2' } },
      ],
      [
        'POST',
        '/api/v1/positions/snooze',
        token,
        { protocol: 'aave_v3', chainId: 1, until: '2030-01-01T00:00:00Z' },
      ],
      [
        'POST',
        '/api/v1/signals',
        service,
        {
          type: 'depeg',
          asset: 'USDC',
          severity: 'high',
          data: { price: '0.97' },
          detectedAt: '2026-11-01T00:00:00Z',
          expiresAt: '2030-01-01T00:00:00Z',
        },
      ],
      [
        'PATCH',
        '/api/v1/me',
        token,
        {
          email: 'a@example.com',
          preferences: {
            riskProfile: 'moderate',
            alertThresholds: { healthFactor: 1.5 },
            activeSignals: ['depeg'],
            notificationChannels: ['in_app'],
            watchAssets: ['USDC'],
            timezone: 'Europe/Paris',
            quietHours: { start: '22:00', end: '07:00' },
            digest: 'daily',
            webhookUrl: 'https://example.com/hook',
          },
        },
      ],
      [
        'POST',
        '/api/v1/intents',
        token,
        {
          name: 'repay',
          protocol: 'aave_v3',
          chainId: 1,
          condition: { metric: 'health_factor', operator: 'lt', value: '1.2' },
          action: { type: 'repay', asset: 'USDT', amount: '1000' },
          cooldownSeconds: 60,
          maxExecutions: 2,
          expiresAt: '2030-01-01T00:00:00Z',
        },
      ],
      [
        'PATCH',
        `/api/v1/intents/${intentId}`,
        token,
        {
          name: 'later',
          status: 'paused',
          cooldownSeconds: 60,
          maxExecutions: 3,
          expiresAt: '2030-01-01T00:00:00Z',
        },
      ],
      ['POST', '/api/v1/auth/siwe', token, { message: 'hello', signature: '0x00' }],
    ]
    const failures: string[] = []
    let sent = 0
    for (const [method, path, bearer, valid] of routes) {
      for (const body of mutations(valid)) {
        const { status, text } = await send(method, path, bearer, body)
        sent++
        if (status >= 500 || (status >= 400 && !inErrorShape(text))) {
          failures.push(
            `${method} ${path} ${JSON.stringify(body).slice(0, 300)} -> ${status} ${text.slice(0, 200)}`
          )
        }
      }
    }
    assert.isAbove(sent, 1000)
    assert.deepEqual(failures, [])
  })

  test('query strings', async ({ assert }) => {
    const token = await userToken(await UserFactory.create())
    const routes: [string, string[]][] = [
      ['/api/v1/positions', ['protocol', 'chainId']],
      ['/api/v1/positions/history', ['protocol', 'chainId', 'from', 'to', 'limit', 'cursor']],
      ['/api/v1/alerts', ['status', 'channel', 'severity', 'limit', 'cursor']],
      ['/api/v1/signals', ['status', 'type', 'asset', 'severity', 'limit', 'cursor']],
      ['/api/v1/intents', ['status', 'protocol', 'chainId', 'limit', 'cursor']],
      ['/api/v1/events', ['type', 'aggregateType', 'limit', 'after']],
      ['/api/v1/me/state', ['at']],
    ]
    const failures: string[] = []
    for (const [path, params] of routes) {
      for (const param of params) {
        for (const value of QUERY_GARBAGE) {
          for (const query of [
            `${param}=${encodeURIComponent(value)}`,
            `${param}[]=1&${param}[]=2`,
            `${param}[a]=1`,
          ]) {
            const { status, text } = await send('GET', `${path}?${query}`, token)
            if (status >= 500 || (status >= 400 && !inErrorShape(text)))
              failures.push(`${path}?${query} -> ${status} ${text.slice(0, 200)}`)
          }
        }
      }
    }
    assert.deepEqual(failures, [])
  })
})

const EXTREME_DECIMALS = [
  '0',
  '0.000000000000000000000000000000000001',
  '9'.repeat(60),
  `${'9'.repeat(60)}.${'9'.repeat(36)}`,
]

test.group('HTTP | extreme but valid numbers are answered, never a 500', (group) => {
  group.each.setup(() => truncateAll)
  group.each.timeout(120_000)

  test('snapshots, simulation and intents over zero, tiny and huge amounts', async ({ assert }) => {
    const token = await userToken(await UserFactory.create())
    const failures: string[] = []
    // Every snapshot below then runs the health-factor rule and the intent to the end.
    const me = await send('PATCH', '/api/v1/me', token, {
      preferences: { alertThresholds: { healthFactor: 10 }, notificationChannels: ['in_app'] },
    })
    assert.equal(me.status, 200, me.text)
    const intent = await send('POST', '/api/v1/intents', token, {
      protocol: 'aave_v3',
      chainId: 1,
      condition: { metric: 'health_factor', operator: 'lt', value: EXTREME_DECIMALS[2] },
      action: { type: 'repay', asset: 'USDC', amount: EXTREME_DECIMALS[2] },
    })
    assert.equal(intent.status, 201, intent.text)
    let at = Date.parse('2026-01-01T00:00:00Z')
    for (const collateralValue of EXTREME_DECIMALS) {
      for (const debtValue of EXTREME_DECIMALS) {
        for (const threshold of ['0', '0.000000000000000000000000000000000001', '1']) {
          for (const price of EXTREME_DECIMALS) {
            at += 60_000
            const body = snapshotBody({
              snapshotAt: new Date(at).toISOString(),
              collateral: [
                {
                  symbol: 'WETH',
                  amount: collateralValue,
                  valueUsd: collateralValue,
                  priceUsd: price,
                  liquidationThreshold: threshold,
                },
              ],
              debt: [{ symbol: 'USDC', amount: debtValue, valueUsd: debtValue, priceUsd: price }],
            })
            const stored = await send('POST', '/api/v1/positions', token, body)
            if (stored.status !== 201)
              failures.push(
                `store ${JSON.stringify(body)} -> ${stored.status} ${stored.text.slice(0, 200)}`
              )
            for (const change of ['-1', '-0.999999999999999999', '0', '999999999999999999']) {
              const simulated = await send('POST', '/api/v1/positions/simulate', token, {
                protocol: 'aave_v3',
                chainId: 1,
                priceChanges: { WETH: change, USDC: change },
              })
              if (simulated.status !== 200) {
                failures.push(
                  `simulate ${change} after ${JSON.stringify(body)} -> ${simulated.status} ${simulated.text.slice(0, 200)}`
                )
              }
            }
          }
        }
      }
    }
    for (const history of [
      '/api/v1/positions',
      '/api/v1/positions/history?limit=200',
      '/api/v1/me/state',
    ]) {
      const read = await send('GET', history, token)
      if (read.status !== 200)
        failures.push(`${history} -> ${read.status} ${read.text.slice(0, 200)}`)
    }
    assert.deepEqual(failures, [])
    // the rule and the intent did run over these snapshots, not just the ingest
    const alerts = JSON.parse((await send('GET', '/api/v1/alerts', token)).text)
    assert.isAbove(alerts.data.length, 0)
    const intentId = JSON.parse(intent.text).data.id
    const executions = JSON.parse(
      (await send('GET', `/api/v1/intents/${intentId}/executions`, token)).text
    )
    assert.isAbove(executions.data.length, 0)
  })
})
