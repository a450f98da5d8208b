/**
 * The response shapes of the API, as JSON Schema 2020-12 (OpenAPI 3.1).
 * Request shapes are not here: they come from the VineJS validators
 * themselves (document.ts), so they cannot drift from what is enforced.
 *
 * Every object that has a fixed shape says `additionalProperties: false`:
 * the functional suite validates each response it receives against these, so
 * a field added to a transformer and not here fails a test.
 */
export type Schema = Record<string, unknown>

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` })
const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: 'null' }] })
const closed = (properties: Record<string, Schema>, optional: string[] = []): Schema => ({
  type: 'object',
  properties,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  additionalProperties: false,
})

const uuid: Schema = { type: 'string', format: 'uuid' }
const instant: Schema = { type: 'string', format: 'date-time' }
/** Amounts, USD values, prices and ratios travel as decimal strings, never JSON numbers. */
const decimal: Schema = { type: 'string', pattern: '^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$' }
const wallet: Schema = { type: 'string', pattern: '^0x[0-9a-f]{40}$' }
/** Requests may say `aave` or `compound`; replies always carry the stored name. */
const protocol: Schema = {
  type: 'string',
  description:
    'As stored: an alias in a request (`aave`, `compound`) is stored and answered as its canonical name (`aave_v3`, `compound_v3`).',
}
const channel: Schema = { type: 'string', enum: ['telegram', 'email', 'in_app', 'webhook'] }
const severity: Schema = { type: 'string', enum: ['low', 'medium', 'high', 'critical'] }
const cursor: Schema = {
  ...nullable({ type: 'string' }),
  description: 'Opaque; pass it back as `cursor` for the next page. Null on the last page.',
}

/** `{ data: [...], meta: { nextCursor } }` */
export const list = (item: string): Schema =>
  closed({
    data: { type: 'array', items: ref(item) },
    meta: closed({ nextCursor: cursor }),
  })

/** `{ data: {...} }` with optional extra `meta`. */
export const one = (item: string, meta?: Schema): Schema =>
  meta ? closed({ data: ref(item), meta }) : closed({ data: ref(item) })

const conditionProperties: Record<string, Schema> = {
  metric: { type: 'string', const: 'health_factor' },
  operator: { type: 'string', enum: ['lt', 'lte', 'gt', 'gte'] },
  value: decimal,
}

/** What an intent is; the live resource adds its counters, `me/state` shows just this. */
const intentCore: Record<string, Schema> = {
  id: uuid,
  name: nullable({ type: 'string' }),
  protocol,
  chainId: { type: 'integer' },
  condition: ref('IntentCondition'),
  action: ref('IntentAction'),
}

export const componentSchemas: Record<string, Schema> = {
  Error: {
    ...closed({
      errors: {
        type: 'array',
        minItems: 1,
        items: closed(
          {
            code: { type: 'string', pattern: '^E_[A-Z0-9_]+$' },
            message: { type: 'string', minLength: 1 },
            field: {
              type: 'string',
              description: 'The path of the bad input, e.g. `snapshots.3.collateral.0.amount`',
            },
          },
          ['field']
        ),
      },
    }),
    description: 'The one error shape of every 4xx and 5xx.',
  },

  Asset: closed(
    {
      symbol: { type: 'string' },
      amount: decimal,
      valueUsd: decimal,
      priceUsd: decimal,
      address: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' },
      liquidationThreshold: {
        ...decimal,
        description:
          'Within 0..1. Compound v3 snapshots carry the liquidate-collateral factor here.',
      },
    },
    ['priceUsd', 'address', 'liquidationThreshold']
  ),

  Position: closed(
    {
      id: uuid,
      walletAddress: wallet,
      protocol,
      chainId: { type: 'integer' },
      healthFactor: { ...nullable(decimal), description: 'Null when there is no debt.' },
      collateral: { type: 'array', items: ref('Asset') },
      debt: { type: 'array', items: ref('Asset') },
      totals: closed({ collateralUsd: decimal, debtUsd: decimal }),
      metadata: {
        type: 'object',
        description:
          "The indexer's metadata; `computedHealthFactor` is added when ours differs from the given one by more than 0.1%.",
      },
      snapshotAt: instant,
      createdAt: instant,
      risk: {
        ...ref('LiquidationRisk'),
        description:
          'On `GET /positions` (as of now) and `GET /positions/{id}` (as of the snapshot).',
      },
    },
    ['risk']
  ),

  LiquidationRisk: {
    ...closed({
      liquidationProbability: nullable(closed({ '1h': decimal, '24h': decimal, '7d': decimal })),
      volatility24h: {
        ...nullable(decimal),
        description: 'Standard deviation of ln(health factor) over 24 hours (EWMA).',
      },
      basedOn: closed({
        samples: { type: 'integer', minimum: 0, description: 'Aligned hourly returns used.' },
        since: { ...nullable(instant), description: 'Start of the price window.' },
      }),
      unavailableReason: nullable({
        type: 'string',
        enum: ['no_debt', 'no_collateral', 'missing_prices', 'insufficient_history'],
      }),
    }),
    description:
      'Probability that the health factor touches 1 within 1 h, 24 h and 7 d (first passage ' +
      'of a driftless Brownian motion of ln HF, EWMA volatility; docs/adr/0013). Null, with ' +
      'the reason, when it cannot be known: never a made-up number.',
  },

  BatchItem: closed({
    id: uuid,
    protocol,
    chainId: { type: 'integer' },
    snapshotAt: instant,
    alreadyRecorded: { type: 'boolean' },
  }),

  Simulation: closed({
    snapshotId: uuid,
    snapshotAt: instant,
    currentHealthFactor: nullable(decimal),
    simulatedHealthFactor: nullable(decimal),
    liquidatable: { type: 'boolean' },
    bufferToLiquidationPct: nullable(decimal),
    collateralUsd: decimal,
    debtUsd: decimal,
    liquidationPrices: {
      type: 'array',
      items: closed({
        symbol: { type: 'string' },
        currentPriceUsd: nullable(decimal),
        liquidationPriceUsd: {
          ...nullable(decimal),
          description: 'The price at which HF reaches 1, everything else fixed.',
        },
        changePct: nullable(decimal),
      }),
    },
    risk: {
      ...ref('LiquidationRisk'),
      description:
        'The probability of liquidation at the simulated health factor, with the volatility measured now.',
    },
  }),

  Snooze: closed(
    {
      protocol,
      chainId: { type: 'integer' },
      until: instant,
      walletAddress: {
        ...wallet,
        description:
          'The wallet whose position is snoozed: present only when the request named it.',
      },
    },
    ['walletAddress']
  ),

  Preferences: closed(
    {
      riskProfile: { type: 'string', enum: ['conservative', 'moderate', 'aggressive'] },
      alertThresholds: {
        type: 'object',
        properties: {
          healthFactor: { type: 'number' },
          liquidationProbability24h: {
            type: 'number',
            description:
              'Alert when the 24 h probability of liquidation reaches this (0.001..1); unset = off.',
          },
        },
        required: ['healthFactor'],
        additionalProperties: { type: 'number' },
      },
      activeSignals: { type: 'array', items: { type: 'string' } },
      notificationChannels: { type: 'array', items: channel },
      watchAssets: { type: 'array', items: { type: 'string' } },
      timezone: { type: 'string', description: 'IANA time zone' },
      quietHours: closed({
        start: { type: 'string', pattern: '^\\d{2}:\\d{2}$' },
        end: { type: 'string', pattern: '^\\d{2}:\\d{2}$' },
      }),
      digest: { type: 'string', enum: ['off', 'daily'] },
      webhookUrl: { type: 'string', format: 'uri' },
    },
    ['watchAssets', 'quietHours', 'webhookUrl']
  ),

  User: closed({
    id: uuid,
    walletAddress: wallet,
    email: nullable({ type: 'string', format: 'email' }),
    preferences: ref('Preferences'),
    telegramLinked: { type: 'boolean' },
    createdAt: instant,
    updatedAt: instant,
  }),

  Wallet: closed({
    id: uuid,
    address: wallet,
    kind: {
      type: 'string',
      enum: ['proven', 'watched'],
      description:
        '`proven`: the caller showed they control it; `watched`: any address, read-only.',
    },
    proof: {
      ...nullable({ type: 'string', enum: ['sign_in', 'siwe', 'eip1271'] }),
      description:
        'How a proven wallet was proven: the sign-in wallet, a SIWE signature, or a contract wallet (EIP-1271). Null for a watched one.',
    },
    label: nullable({ type: 'string', minLength: 1, maxLength: 64 }),
    preferences: {
      ...closed(
        {
          alertThresholds: closed(
            {
              healthFactor: { type: 'number' },
              liquidationProbability24h: { type: 'number' },
            },
            ['healthFactor', 'liquidationProbability24h']
          ),
          channels: { type: 'array', items: channel },
        },
        ['alertThresholds', 'channels']
      ),
      description:
        'Only what was set for this wallet; every other choice is the user’s (`GET /me`).',
    },
    telegramLinked: {
      type: 'boolean',
      description: 'Whether a Telegram chat is linked to this wallet’s alerts.',
    },
    createdAt: instant,
    updatedAt: instant,
  }),

  Token: closed({
    type: { type: 'string', const: 'bearer' },
    value: { type: 'string', minLength: 20 },
    expiresAt: nullable(instant),
  }),

  TelegramLink: closed({
    code: { type: 'string', pattern: '^[A-Za-z0-9_-]{32}$' },
    url: { type: 'string', format: 'uri' },
    expiresAt: instant,
  }),

  Signal: closed({
    id: uuid,
    type: { type: 'string' },
    asset: { type: 'string' },
    severity,
    data: { type: 'object' },
    status: { type: 'string', enum: ['active', 'expired', 'acknowledged'] },
    detectedAt: instant,
    expiresAt: nullable(instant),
    createdAt: instant,
  }),

  Alert: closed({
    id: uuid,
    signalId: nullable(uuid),
    walletAddress: {
      ...nullable(wallet),
      description:
        'The wallet of the position the alert is about; null for a signal, a digest or a chain’s status.',
    },
    type: { type: 'string' },
    severity,
    channel,
    message: { type: 'string' },
    metadata: {
      type: 'object',
      description:
        'What caused the alert (`snapshotId`, `healthFactor`, …) and escalation marks (`escalatedAt`, `escalationOf`).',
    },
    status: { type: 'string', enum: ['pending', 'sent', 'failed', 'acknowledged'] },
    attempts: { type: 'integer', minimum: 0 },
    lastError: nullable({ type: 'string' }),
    sentAt: nullable(instant),
    acknowledgedAt: nullable(instant),
    createdAt: instant,
  }),

  IntentCondition: closed(conditionProperties),

  IntentAction: closed({
    type: { type: 'string', enum: ['repay', 'supply', 'withdraw', 'notify'] },
    asset: { type: 'string' },
    amount: { type: 'string', description: 'A decimal string, or `max`.' },
  }),

  Intent: closed({
    ...intentCore,
    walletAddress: {
      ...wallet,
      description: 'The proven wallet the intent acts for: its transactions are prepared for it.',
    },
    status: { type: 'string', enum: ['active', 'paused', 'triggered', 'cancelled', 'expired'] },
    cooldownSeconds: { type: 'integer', minimum: 0 },
    maxExecutions: nullable({ type: 'integer', minimum: 1 }),
    executionsCount: { type: 'integer', minimum: 0 },
    lastTriggeredAt: nullable(instant),
    expiresAt: nullable(instant),
    createdAt: instant,
    updatedAt: instant,
  }),

  PreparedTransaction: closed({
    chainId: { type: 'integer' },
    to: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' },
    data: { type: 'string', pattern: '^0x[0-9a-f]*$' },
    value: { type: 'string', const: '0' },
    description: { type: 'string' },
  }),

  IntentExecution: closed({
    id: uuid,
    intentId: uuid,
    snapshotId: uuid,
    condition: closed({
      ...conditionProperties,
      observed: { ...decimal, description: 'The health factor that met the condition.' },
    }),
    action: ref('IntentAction'),
    transaction: {
      ...nullable(ref('PreparedTransaction')),
      description: 'Unsigned, for the wallet to sign; null when the action has no transaction.',
    },
    note: nullable({ type: 'string' }),
    alertId: nullable(uuid),
    createdAt: instant,
  }),

  Event: closed({
    position: {
      type: 'string',
      pattern: '^[0-9]+$',
      description: 'Global order (a bigint as a string).',
    },
    aggregateType: {
      type: 'string',
      enum: ['user', 'wallet', 'position', 'alert', 'intent', 'signal', 'system'],
    },
    aggregateId: { type: 'string' },
    version: { type: 'integer', minimum: 1 },
    type: { type: 'string', pattern: '^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$' },
    payload: { type: 'object' },
    metadata: closed({
      actor: nullable({ type: 'string', enum: ['user', 'service', 'system'] }),
      requestId: nullable({ type: 'string' }),
      causation: {
        ...nullable(closed({ aggregateType: { type: 'string' }, aggregateId: uuid })),
        description: 'The aggregate whose change caused this event, where there is one.',
      },
    }),
    occurredAt: instant,
    hash: {
      type: 'string',
      pattern: '^[0-9a-f]{64}$',
      description:
        'The event’s leaf in the block that sealed it: SHA-256 over its content (docs/adr/0012).',
    },
  }),

  State: closed({
    at: instant,
    email: nullable({ type: 'string' }),
    preferences: ref('Preferences'),
    telegramLinked: { type: 'boolean' },
    positions: { type: 'array', items: ref('Position') },
    openAlerts: {
      type: 'array',
      items: closed({
        id: uuid,
        type: nullable({ type: 'string' }),
        severity: nullable(severity),
        channel: nullable(channel),
        status: { type: 'string', enum: ['pending', 'sent', 'failed', 'acknowledged'] },
      }),
    },
    activeIntents: {
      type: 'array',
      items: closed({ ...intentCore, status: { type: 'string' } }),
    },
  }),

  Chain: closed({
    chainId: { type: 'integer' },
    name: { type: 'string' },
    enabled: { type: 'boolean' },
    markets: {
      type: 'array',
      description:
        'What is read on the chain: `aave_v3` names its PoolAddressesProvider, `compound_v3` its Comet',
      items: closed({ protocol, address: wallet }),
    },
    latestBlock: nullable({ type: 'integer', minimum: 0 }),
    latestBlockHash: nullable({ type: 'string', pattern: '^0x[0-9a-f]{64}$' }),
    latestBlockAt: nullable(instant),
    lagSeconds: nullable({ type: 'integer', minimum: 0 }),
    lastSuccessAt: nullable(instant),
    lastError: nullable({ type: 'string' }),
    lastErrorAt: nullable(instant),
    stale: { type: 'boolean' },
  }),

  Health: closed(
    {
      status: { type: 'string', enum: ['ok', 'unavailable'] },
      checks: {
        type: 'object',
        additionalProperties: closed(
          {
            ok: { type: 'boolean' },
            message: { type: 'string' },
            durationMs: { type: 'integer', minimum: 0 },
          },
          ['message']
        ),
      },
    },
    ['checks']
  ),
}

export { closed, instant, ref, uuid }
