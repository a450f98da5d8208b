import { siweValidator } from '#validators/auth'
import { listAlertsValidator, streamAlertsValidator } from '#validators/alert'
import { listEventsValidator, stateAtValidator } from '#validators/event'
import {
  createIntentValidator,
  listExecutionsValidator,
  listIntentsValidator,
  updateIntentValidator,
} from '#validators/intent'
import {
  createSnapshotBatchValidator,
  createSnapshotValidator,
  latestPositionsValidator,
  positionHistoryValidator,
  simulateValidator,
  snoozeValidator,
} from '#validators/position'
import { createSignalValidator, listSignalsValidator } from '#validators/signal'
import { updateMeValidator } from '#validators/user'
import { addWalletValidator, updateWalletValidator } from '#validators/wallet'
import { AAVE_V3, COMPOUND_V3 } from '#domain/intents/registry'
import { closed, instant, list, one, ref, type Schema } from './schemas.js'

/** Anything VineJS can describe: `vine.create(...)` validators. */
interface Described {
  toJSONSchema(): object
}

export type Caller = 'public' | 'user' | 'any' | 'service' | 'telegram'

export interface Reply {
  description: string
  /** A JSON body; omitted for 204 and for non-JSON content. */
  schema?: Schema
  /** Defaults to application/json when there is a schema. */
  contentType?: string
}

export interface Operation {
  method: 'get' | 'post' | 'patch' | 'delete'
  /** As registered with the router: `/api/v1/positions/:id`. */
  path: string
  operationId: string
  tag: string
  summary: string
  description?: string
  caller: Caller
  abilities?: string[]
  query?: Described
  body?: Described | Schema
  replies: Record<number, Reply>
  /** Error statuses beyond those implied by caller, input and path (401, 403, 404, 422, …). */
  errors?: number[]
  /** Behind FEATURE_INTENTS / FEATURE_EVENT_STORE: 404 E_FEATURE_DISABLED when off. */
  gated?: 'intents' | 'eventStore'
  throttled?: boolean
  /** Registered outside production only. */
  devOnly?: boolean
}

const created = (what: string, schema: Schema): Reply => ({ description: what, schema })
const ok = (what: string, schema: Schema): Reply => ({ description: what, schema })
const alreadyRecorded = closed({ alreadyRecorded: { type: 'boolean' } })
const signalRecorded = closed({
  alreadyRecorded: { type: 'boolean' },
  alertsCreated: { type: 'integer', minimum: 0 },
})

/** Rules on a snapshot the schema cannot state (app/domain/positions/thresholds.ts). */
const SNAPSHOT_RULE =
  'A snapshot with collateral and debt gives its `healthFactor` (null: no debt) or liquidation ' +
  'thresholds (`liquidationThreshold` on its collateral, or `metadata.liquidationThreshold`); ' +
  'otherwise its health factor cannot be computed: 422 on `healthFactor`. ' +
  '`metadata.liquidationThreshold` and `metadata.ltv`, where given, are ratios within 0..1 such as ' +
  '`"0.825"` (422 otherwise).'

/** From the registry itself, so the document lists the markets the check enforces. */
const MARKET_RULE =
  'The action must be one a transaction can be prepared for: `aave_v3` (alias `aave`) on chains ' +
  `${Object.keys(AAVE_V3).join(', ')}, or \`compound_v3\` (alias \`compound\`) on chain ` +
  `${Object.keys(COMPOUND_V3).join(', ')}, with an asset of that market (Compound v3 debt is ` +
  "repaid in the market's base asset); otherwise 422 on `protocol`, `chainId` or `action.asset`, " +
  'saying what is supported. Its `amount` has no more decimals than the token, fits a uint256 in ' +
  'them, and is not `max` for a `supply` (422 on `action.amount` otherwise). A `notify` action ' +
  'prepares no transaction and takes any protocol, chain, asset and amount.'

const walletAdded = closed({
  upgraded: {
    type: 'boolean',
    description: 'True when the proof made a wallet the caller watched proven.',
  },
})

const WALLET_ADD_RULE =
  '`{ kind: "watched", address }` watches any address (no proof; mixed case taken, stored ' +
  'lower-case). `{ kind: "proven", message, signature }` proves a wallet: a Sign-In with ' +
  'Ethereum (EIP-4361) message with a nonce from `GET /auth/nonce`, signed by that wallet, ' +
  'checked as `POST /auth/siwe` checks it (contract wallets through EIP-1271 when ' +
  '`SIWE_RPC_URL` is set). A failed proof is a 422 `E_WALLET_PROOF_*` (the reason of sign-in’s ' +
  '`E_SIWE_*`: `E_WALLET_PROOF_SIGNATURE`, `E_WALLET_PROOF_NONCE`, …) on `message` or ' +
  '`signature`. A wallet proven by another account: 409 E_WALLET_TAKEN; already on the ' +
  'list: 409 E_WALLET_EXISTS (proving a watched one upgrades it instead); more than ' +
  '`WALLETS_PER_USER_MAX` (20) wallets: 422 E_WALLET_LIMIT. A proven wallet signs in as ' +
  'this account.'

export const operations: Operation[] = [
  // Health and the contract itself
  {
    method: 'get',
    path: '/health/live',
    operationId: 'healthLive',
    tag: 'Health',
    summary: 'The process is up',
    caller: 'public',
    replies: { 200: ok('Alive', ref('Health')) },
  },
  {
    method: 'get',
    path: '/health/ready',
    operationId: 'healthReady',
    tag: 'Health',
    summary: 'The process can serve traffic (the database answers)',
    caller: 'public',
    replies: {
      200: ok('Ready', ref('Health')),
      503: ok('Not ready; `checks` says which dependency failed', ref('Health')),
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    tag: 'Contract',
    summary: 'This document',
    caller: 'public',
    replies: {
      200: ok('OpenAPI 3.1', {
        type: 'object',
        properties: { openapi: { type: 'string' }, paths: { type: 'object' } },
        required: ['openapi', 'paths'],
      }),
    },
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'docs',
    tag: 'Contract',
    summary: 'A browsable reference of this document (Scalar), served without any CDN',
    caller: 'public',
    replies: { 200: { description: 'HTML page', contentType: 'text/html' } },
  },
  {
    method: 'get',
    path: '/docs/assets/scalar.js',
    operationId: 'docsScript',
    tag: 'Contract',
    summary: 'The reference page’s script, served from this process',
    caller: 'public',
    replies: { 200: { description: 'JavaScript', contentType: 'text/javascript' } },
  },

  // Development pages
  {
    method: 'get',
    path: '/',
    operationId: 'statusPage',
    tag: 'Development',
    summary: 'A status page for newcomers: the demo user’s positions, signals and alerts',
    caller: 'public',
    devOnly: true,
    replies: { 200: { description: 'HTML page', contentType: 'text/html' } },
  },
  {
    method: 'post',
    path: '/dev/demo-session',
    operationId: 'demoSession',
    tag: 'Development',
    summary: 'Signs in as the seeded demo user (its key is public), outside production only',
    description:
      'Signs a SIWE message with the demo wallet’s well-known key and runs the normal sign-in with it.',
    caller: 'public',
    devOnly: true,
    throttled: true,
    replies: {
      200: ok('Signed in', closed({ token: ref('Token'), user: ref('User') })),
    },
  },

  // Telegram
  {
    method: 'post',
    path: '/telegram/webhook',
    operationId: 'telegramWebhook',
    tag: 'Telegram',
    summary: 'Telegram’s updates (authenticated by the secret-token header)',
    caller: 'telegram',
    body: { type: 'object', description: 'A Telegram Update' },
    replies: { 200: ok('Accepted', closed({ ok: { type: 'boolean', const: true } })) },
  },

  // Auth
  {
    method: 'get',
    path: '/api/v1/auth/nonce',
    operationId: 'authNonce',
    tag: 'Auth',
    summary: 'A single-use nonce for a Sign-In with Ethereum message',
    caller: 'public',
    throttled: true,
    replies: {
      200: ok('Nonce', closed({ nonce: { type: 'string', minLength: 8 }, expiresAt: instant })),
    },
  },
  {
    method: 'post',
    path: '/api/v1/auth/siwe',
    operationId: 'authSiwe',
    tag: 'Auth',
    summary: 'Sign in with a signed EIP-4361 message; the first sign-in creates the user',
    caller: 'public',
    throttled: true,
    body: siweValidator,
    replies: { 200: ok('Signed in', closed({ token: ref('Token'), user: ref('User') })) },
    errors: [401],
  },
  {
    method: 'post',
    path: '/api/v1/auth/logout',
    operationId: 'authLogout',
    tag: 'Auth',
    summary: 'Revokes the token used for this call',
    caller: 'user',
    throttled: true,
    replies: { 204: { description: 'Revoked' } },
  },

  // Me
  {
    method: 'get',
    path: '/api/v1/me',
    operationId: 'getMe',
    tag: 'Me',
    summary: 'The caller’s profile, preferences with defaults filled in',
    caller: 'user',
    throttled: true,
    replies: { 200: ok('Profile', one('User')) },
  },
  {
    method: 'patch',
    path: '/api/v1/me',
    operationId: 'updateMe',
    tag: 'Me',
    summary: 'Deep-merges `preferences` (null removes a choice) and sets `email`',
    caller: 'user',
    throttled: true,
    body: updateMeValidator,
    replies: {
      200: ok(
        'Updated. `meta.webhookSecret` appears once, when a webhook URL is first set.',
        closed(
          {
            data: ref('User'),
            meta: closed({ webhookSecret: { type: 'string', pattern: '^whsec_' } }),
          },
          ['meta']
        )
      ),
    },
  },
  {
    method: 'get',
    path: '/api/v1/me/state',
    operationId: 'getState',
    tag: 'Events',
    summary: 'The caller’s state as of an instant, rebuilt from their events',
    caller: 'user',
    throttled: true,
    gated: 'eventStore',
    query: stateAtValidator,
    replies: { 200: ok('State', one('State')) },
  },

  // Wallets
  {
    method: 'get',
    path: '/api/v1/me/wallets',
    operationId: 'listWallets',
    tag: 'Wallets',
    summary: 'The wallets on the caller’s list: the sign-in wallet first, then by when added',
    caller: 'user',
    throttled: true,
    replies: {
      200: ok(
        'Every wallet on the list (at most `meta.max`: one page)',
        closed({
          data: { type: 'array', items: ref('Wallet') },
          meta: closed({
            nextCursor: { type: 'null' },
            count: { type: 'integer', minimum: 1 },
            max: {
              type: 'integer',
              minimum: 1,
              description: 'How many wallets a user may list (`WALLETS_PER_USER_MAX`).',
            },
          }),
        })
      ),
    },
  },
  {
    method: 'post',
    path: '/api/v1/me/wallets',
    operationId: 'addWallet',
    tag: 'Wallets',
    summary: 'Adds a watched wallet (any address), or a proven one (a SIWE signature by it)',
    description: WALLET_ADD_RULE,
    caller: 'user',
    throttled: true,
    body: addWalletValidator,
    errors: [409],
    replies: {
      201: created('Added', one('Wallet', walletAdded)),
      200: ok(
        'A wallet watched by the caller, now proven: the same entry (id, label, preferences)',
        one('Wallet', walletAdded)
      ),
    },
  },
  {
    method: 'get',
    path: '/api/v1/me/wallets/:id',
    operationId: 'getWallet',
    tag: 'Wallets',
    summary: 'One wallet of the caller’s list',
    caller: 'user',
    throttled: true,
    replies: { 200: ok('Wallet', one('Wallet')) },
  },
  {
    method: 'patch',
    path: '/api/v1/me/wallets/:id',
    operationId: 'updateWallet',
    tag: 'Wallets',
    summary: 'Sets a wallet’s label and deep-merges its preferences (null removes a choice)',
    description:
      'A wallet’s preferences override the user’s for alerts about its positions: ' +
      '`alertThresholds.healthFactor` (more than 1, at most 10), ' +
      '`alertThresholds.liquidationProbability24h` (0.001..1), each a number or a decimal ' +
      'string and stored as a number, and `channels`. Objects merge key by key, arrays ' +
      'replace, null removes the key (back to the user’s choice).',
    caller: 'user',
    throttled: true,
    body: updateWalletValidator,
    replies: { 200: ok('Updated', one('Wallet')) },
  },
  {
    method: 'delete',
    path: '/api/v1/me/wallets/:id',
    operationId: 'removeWallet',
    tag: 'Wallets',
    summary: 'Removes a wallet from the list, with its heads, rule states, snoozes and intents',
    description:
      'In one transaction: the wallet’s position heads, alert-rule states and snoozes are ' +
      'deleted (it leaves `GET /positions` and its alerts stop), the caller’s active and paused ' +
      'intents for it are cancelled, its undelivered alerts fail with `wallet removed`, and a ' +
      'watched wallet’s snapshots are deleted (a proven wallet’s stay in `GET /positions/history`). ' +
      'The sign-in wallet cannot be removed: 422 E_WALLET_SIGN_IN.',
    caller: 'user',
    throttled: true,
    replies: { 204: { description: 'Removed' } },
  },
  {
    method: 'post',
    path: '/api/v1/me/telegram/link',
    operationId: 'linkTelegram',
    tag: 'Telegram',
    summary: 'A single-use code and deep link (15 minutes) that links a Telegram chat',
    caller: 'user',
    throttled: true,
    replies: { 201: created('Link code', one('TelegramLink')) },
  },
  {
    method: 'delete',
    path: '/api/v1/me/telegram',
    operationId: 'unlinkTelegram',
    tag: 'Telegram',
    summary: 'Unlinks the Telegram chat',
    caller: 'user',
    throttled: true,
    replies: { 204: { description: 'Unlinked' } },
  },
  {
    method: 'post',
    path: '/api/v1/me/wallets/:id/telegram/link',
    operationId: 'linkWalletTelegram',
    tag: 'Telegram',
    summary: 'A link code (15 minutes) that sends one wallet’s alerts to a Telegram chat',
    description:
      'Like `POST /me/telegram/link`, for one wallet on the caller’s list: the chat that sends ' +
      '`/start <code>` — typically a team’s group — receives that wallet’s Telegram alerts ' +
      'instead of the caller’s own chat. A group may take several wallets’ alerts. ' +
      'Another user’s wallet, or an unknown one: 404.',
    caller: 'user',
    throttled: true,
    replies: { 201: created('Link code', one('TelegramLink')) },
  },
  {
    method: 'delete',
    path: '/api/v1/me/wallets/:id/telegram',
    operationId: 'unlinkWalletTelegram',
    tag: 'Telegram',
    summary: 'Unlinks a wallet’s chat: its alerts go to the caller’s own chat again (idempotent)',
    caller: 'user',
    throttled: true,
    replies: { 204: { description: 'Unlinked' } },
  },

  // Positions
  {
    method: 'post',
    path: '/api/v1/positions',
    operationId: 'recordSnapshot',
    tag: 'Positions',
    summary: 'Records one snapshot: a user for their own wallet, or a service for any wallet',
    description: SNAPSHOT_RULE,
    caller: 'any',
    abilities: ['positions:write'],
    throttled: true,
    body: createSnapshotValidator,
    // a concurrent ingest of the same position won every retry
    errors: [409],
    replies: {
      201: created('Recorded', one('Position', alreadyRecorded)),
      200: ok('This exact snapshot was already recorded', one('Position', alreadyRecorded)),
    },
  },
  {
    method: 'post',
    path: '/api/v1/positions/batch',
    operationId: 'recordSnapshots',
    tag: 'Positions',
    summary: 'Up to 1,000 snapshots in one transaction: all stored or none',
    description: `${SNAPSHOT_RULE} Every bad snapshot is reported, by its index (\`snapshots.3.healthFactor\`).`,
    caller: 'service',
    abilities: ['positions:write'],
    throttled: true,
    body: createSnapshotBatchValidator,
    // concurrent ingests of the same positions or new owners won every retry
    errors: [409],
    replies: {
      201: created(
        'Recorded',
        closed({
          data: { type: 'array', items: ref('BatchItem') },
          meta: closed({
            created: { type: 'integer', minimum: 0 },
            alreadyRecorded: { type: 'integer', minimum: 0 },
          }),
        })
      ),
    },
  },
  {
    method: 'get',
    path: '/api/v1/positions',
    operationId: 'listPositions',
    tag: 'Positions',
    summary:
      'The latest snapshot per (walletAddress, protocol, chainId) of the wallets on the caller’s list',
    caller: 'user',
    throttled: true,
    query: latestPositionsValidator,
    replies: { 200: ok('Latest snapshots', list('Position')) },
  },
  {
    method: 'get',
    path: '/api/v1/positions/history',
    operationId: 'positionHistory',
    tag: 'Positions',
    summary: 'Snapshots, newest first, keyset-paginated',
    caller: 'user',
    throttled: true,
    query: positionHistoryValidator,
    replies: { 200: ok('A page of snapshots', list('Position')) },
  },
  {
    method: 'post',
    path: '/api/v1/positions/simulate',
    operationId: 'simulatePosition',
    tag: 'Positions',
    summary: 'Relative price changes applied to the latest snapshot of one position',
    description:
      'Each key of `priceChanges` is a symbol the position holds (422 E_UNKNOWN_ASSET otherwise) and ' +
      'each change is at least `-1`, a fall of 100 % (422 E_INVALID_PRICE_CHANGE otherwise). 404 ' +
      'when the caller has no snapshot of that protocol and chain; 422 E_UNKNOWN_THRESHOLDS when ' +
      'its latest snapshot has debt but neither thresholds nor a health factor to simulate from.',
    caller: 'user',
    throttled: true,
    body: simulateValidator,
    replies: { 200: ok('Current and simulated health factor', one('Simulation')) },
    errors: [404],
  },
  {
    method: 'post',
    path: '/api/v1/positions/snooze',
    operationId: 'snoozePosition',
    tag: 'Positions',
    summary: 'Mutes one position’s alerts until an instant',
    caller: 'user',
    throttled: true,
    body: snoozeValidator,
    replies: { 200: ok('Snoozed', one('Snooze')) },
    errors: [404],
  },
  {
    method: 'post',
    path: '/api/v1/positions/sync',
    operationId: 'syncPositions',
    tag: 'Positions',
    summary:
      'Reads all the caller’s wallets from every configured chain now and answers the fresh positions',
    description:
      'Every wallet on the caller’s list, proven and watched: Aave v3 and Compound v3 on every ' +
      'chain of `CHAIN_RPC_URLS`, at the latest block, through the same ingest as every snapshot ' +
      '(alerts, intents). A watched wallet’s fresh snapshot reaches every user watching it, as the ' +
      'scheduled rounds’ do. A position that did not change keeps its newest snapshot. A chain ' +
      'that fails is reported in `meta.chains`, not as an error. ' +
      'Rate-limited per user (`RATE_LIMIT_SYNC_PER_MINUTE`, 6). 404 `E_FEATURE_DISABLED` when ' +
      'chain sync is not configured.',
    caller: 'user',
    throttled: true,
    errors: [404],
    replies: {
      200: ok(
        'The latest snapshot per (wallet, protocol, chainId), and what each chain did',
        closed({
          data: { type: 'array', items: ref('Position') },
          meta: closed({
            nextCursor: { type: 'null' },
            chains: {
              type: 'array',
              items: closed({
                chainId: { type: 'integer' },
                ok: { type: 'boolean' },
                blockNumber: { anyOf: [{ type: 'string', pattern: '^[0-9]+$' }, { type: 'null' }] },
                error: { anyOf: [{ type: 'string' }, { type: 'null' }] },
              }),
            },
          }),
        })
      ),
    },
  },
  {
    method: 'get',
    path: '/api/v1/positions/:id',
    operationId: 'getPosition',
    tag: 'Positions',
    summary: 'One snapshot of the caller’s',
    caller: 'user',
    throttled: true,
    replies: { 200: ok('Snapshot', one('Position')) },
  },

  // Signals
  {
    method: 'post',
    path: '/api/v1/signals',
    operationId: 'recordSignal',
    tag: 'Signals',
    summary: 'Records a market signal and fans its alerts out in the same transaction',
    caller: 'service',
    abilities: ['signals:write'],
    throttled: true,
    body: createSignalValidator,
    replies: {
      201: created('Recorded', one('Signal', signalRecorded)),
      200: ok('This detection was already recorded', one('Signal', signalRecorded)),
    },
  },
  {
    method: 'get',
    path: '/api/v1/signals',
    operationId: 'listSignals',
    tag: 'Signals',
    summary: 'Signals (active by default), newest first',
    caller: 'any',
    throttled: true,
    query: listSignalsValidator,
    replies: { 200: ok('A page of signals', list('Signal')) },
  },
  {
    method: 'get',
    path: '/api/v1/chains',
    operationId: 'listChains',
    tag: 'Chains',
    summary: 'Chain sync per chain: enabled, the latest block read, lag, the last error, stale',
    description:
      'Every chain of `CHAIN_RPC_URLS` (enabled) and every chain read before but no longer ' +
      'configured (disabled). `stale` is true when no read has succeeded for ' +
      '`CHAIN_STALE_MINUTES` (10); its users then get one in-app alert.',
    caller: 'any',
    throttled: true,
    replies: {
      200: ok('The chains', closed({ data: { type: 'array', items: ref('Chain') } })),
    },
  },
  {
    method: 'get',
    path: '/api/v1/signals/:id',
    operationId: 'getSignal',
    tag: 'Signals',
    summary: 'One signal',
    caller: 'any',
    throttled: true,
    replies: { 200: ok('Signal', one('Signal')) },
  },
  {
    method: 'post',
    path: '/api/v1/signals/:id/acknowledge',
    operationId: 'acknowledgeSignal',
    tag: 'Signals',
    summary: 'Marks a signal acknowledged',
    caller: 'service',
    abilities: ['signals:write'],
    throttled: true,
    replies: { 200: ok('Acknowledged', one('Signal')) },
  },

  // Alerts
  {
    method: 'get',
    path: '/api/v1/alerts',
    operationId: 'listAlerts',
    tag: 'Alerts',
    summary: 'The caller’s alerts, newest first',
    caller: 'user',
    throttled: true,
    query: listAlertsValidator,
    replies: { 200: ok('A page of alerts', list('Alert')) },
  },
  {
    method: 'get',
    path: '/api/v1/alerts/stream',
    operationId: 'streamAlerts',
    tag: 'Alerts',
    summary: 'Server-Sent Events: the caller’s new alerts and status changes as they happen',
    description: [
      'Each message is one alert event from the event store: `event:` is its type',
      '(`alert.created`, `alert.sent`, `alert.failed`, `alert.acknowledged`), `data:` the alert',
      'as `GET /alerts` shows it (JSON), and `id:` an opaque resume token. Reconnect with the',
      'last id in `Last-Event-ID` (or `?lastEventId=`) to receive everything after it, with no',
      'gap and no repeat. A comment line is sent every 15 s to keep proxies from closing the',
      'connection. Needs the event store (404 E_FEATURE_DISABLED when it is off).',
    ].join(' '),
    caller: 'user',
    gated: 'eventStore',
    throttled: true,
    query: streamAlertsValidator,
    replies: { 200: { description: 'An event stream', contentType: 'text/event-stream' } },
  },
  {
    method: 'post',
    path: '/api/v1/alerts/:id/acknowledge',
    operationId: 'acknowledgeAlert',
    tag: 'Alerts',
    summary: 'Acknowledges an alert (idempotent)',
    caller: 'user',
    throttled: true,
    replies: { 200: ok('Acknowledged', one('Alert')) },
  },

  // Intents
  {
    method: 'get',
    path: '/api/v1/intents',
    operationId: 'listIntents',
    tag: 'Intents',
    summary: 'The caller’s intents',
    caller: 'user',
    throttled: true,
    gated: 'intents',
    query: listIntentsValidator,
    replies: { 200: ok('A page of intents', list('Intent')) },
  },
  {
    method: 'post',
    path: '/api/v1/intents',
    operationId: 'createIntent',
    tag: 'Intents',
    summary: '“If my health factor drops below 1.2, repay 1000 USDT”',
    description: MARKET_RULE,
    caller: 'user',
    throttled: true,
    gated: 'intents',
    body: createIntentValidator,
    replies: { 201: created('Created', one('Intent')) },
    errors: [409],
  },
  {
    method: 'get',
    path: '/api/v1/intents/:id',
    operationId: 'getIntent',
    tag: 'Intents',
    summary: 'One intent',
    caller: 'user',
    throttled: true,
    gated: 'intents',
    replies: { 200: ok('Intent', one('Intent')) },
  },
  {
    method: 'patch',
    path: '/api/v1/intents/:id',
    operationId: 'updateIntent',
    tag: 'Intents',
    summary: 'Renames, pauses or resumes an intent, or changes its limits, market or action',
    description: `${MARKET_RULE} Checked when the protocol, chain or action changes, on the intent as it will be. The wallet it acts for cannot be changed: create another intent for another wallet.`,
    caller: 'user',
    throttled: true,
    gated: 'intents',
    body: updateIntentValidator,
    replies: { 200: ok('Updated', one('Intent')) },
    errors: [409],
  },
  {
    method: 'delete',
    path: '/api/v1/intents/:id',
    operationId: 'cancelIntent',
    tag: 'Intents',
    summary: 'Cancels an intent (kept, with status `cancelled`)',
    caller: 'user',
    throttled: true,
    gated: 'intents',
    replies: { 200: ok('Cancelled', one('Intent')) },
    errors: [409],
  },
  {
    method: 'get',
    path: '/api/v1/intents/:id/executions',
    operationId: 'listIntentExecutions',
    tag: 'Intents',
    summary: 'What an intent did, with the prepared unsigned transactions',
    caller: 'user',
    throttled: true,
    gated: 'intents',
    query: listExecutionsValidator,
    replies: { 200: ok('A page of executions', list('IntentExecution')) },
  },

  // Events
  {
    method: 'get',
    path: '/api/v1/events',
    operationId: 'listEvents',
    tag: 'Events',
    summary:
      'The caller’s sealed events in commit order; `after` is the cursor. An event shows once the integrator has sealed it, within EVENT_MAX_MERGE_DELAY_SECONDS (60 s by default)',
    caller: 'user',
    throttled: true,
    gated: 'eventStore',
    query: listEventsValidator,
    replies: { 200: ok('A page of events', list('Event')) },
  },
]
