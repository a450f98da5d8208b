/*
 * Controllers are imported lazily: `node ace migration:run` on a fresh clone
 * must not need generated files or boot the HTTP layer.
 */
import app from '@adonisjs/core/services/app'
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { apiThrottle, authThrottle, syncThrottle } from '#start/limiter'

const HealthController = () => import('#controllers/health_controller')
const AuthController = () => import('#controllers/auth_controller')
const MeController = () => import('#controllers/me_controller')
const WalletsController = () => import('#controllers/wallets_controller')
const PositionsController = () => import('#controllers/positions_controller')
const SignalsController = () => import('#controllers/signals_controller')
const AlertsController = () => import('#controllers/alerts_controller')
const TelegramController = () => import('#controllers/telegram_controller')
const IntentsController = () => import('#controllers/intents_controller')
const EventsController = () => import('#controllers/events_controller')
const DocsController = () => import('#controllers/docs_controller')
const DevController = () => import('#controllers/dev_controller')
const ChainsController = () => import('#controllers/chains_controller')

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
// A malformed id cannot name anything: it is a 404 like any unknown id.
router.where('id', { match: UUID })

/*
 * Last on every route, after its auth and throttle: the body is read and held
 * to the operation's contract (415, 400, 413, 422) only once the caller is
 * known, so no token is a 401 whatever was sent (ADR 0008).
 */
const readInput = middleware.requestContract()

router
  .group(() => {
    router.get('/openapi.json', [DocsController, 'openapi'])
    router.get('/docs', [DocsController, 'docs'])
    router.get('/docs/assets/scalar.js', [DocsController, 'script'])
  })
  .use(readInput)

// A look for people, never in production: the demo account's key is public.
if (!app.inProduction) {
  router.get('/', [DevController, 'statusPage']).use(readInput)
  router.post('/dev/demo-session', [DevController, 'demoSession']).use([authThrottle, readInput])
}

router.get('/health/live', [HealthController, 'live']).use(readInput)
router.get('/health/ready', [HealthController, 'ready']).use(readInput)
// Telegram's calls: authenticated by the secret token header, not by a user token.
router
  .post('/telegram/webhook', [TelegramController, 'webhook'])
  .use([middleware.telegramSecret(), readInput])

router
  .group(() => {
    router
      .group(() => {
        router.get('/auth/nonce', [AuthController, 'nonce'])
        router.post('/auth/siwe', [AuthController, 'siwe'])
      })
      .use([authThrottle, readInput])

    // Users only
    router
      .group(() => {
        router.post('/auth/logout', [AuthController, 'logout'])
        router.get('/me', [MeController, 'show'])
        router.patch('/me', [MeController, 'update'])
        router.get('/me/wallets', [WalletsController, 'index'])
        router.post('/me/wallets', [WalletsController, 'store'])
        router.get('/me/wallets/:id', [WalletsController, 'show'])
        router.patch('/me/wallets/:id', [WalletsController, 'update'])
        router.delete('/me/wallets/:id', [WalletsController, 'destroy'])
        router.post('/me/telegram/link', [TelegramController, 'link'])
        router.delete('/me/telegram', [TelegramController, 'unlink'])
        router.get('/intents', [IntentsController, 'index'])
        router.post('/intents', [IntentsController, 'store'])
        router.get('/intents/:id', [IntentsController, 'show'])
        router.patch('/intents/:id', [IntentsController, 'update'])
        router.delete('/intents/:id', [IntentsController, 'destroy'])
        router.get('/intents/:id/executions', [IntentsController, 'executions'])
        router.get('/events', [EventsController, 'index'])
        router.get('/me/state', [MeController, 'state'])
        router.get('/positions', [PositionsController, 'index'])
        router.get('/positions/history', [PositionsController, 'history'])
        router.post('/positions/simulate', [PositionsController, 'simulate'])
        router.post('/positions/snooze', [PositionsController, 'snooze'])
        // each call reads the chain: its own, smaller budget on top of the API's
        router.post('/positions/sync', [PositionsController, 'sync']).use(syncThrottle)
        router.get('/positions/:id', [PositionsController, 'show'])
        router.get('/alerts', [AlertsController, 'index'])
        router.get('/alerts/stream', [AlertsController, 'stream'])
        router.post('/alerts/:id/acknowledge', [AlertsController, 'acknowledge'])
      })
      .use([middleware.auth({ as: 'user' }), apiThrottle, readInput])

    // Users only: a Telegram chat (a team's group) for one wallet's alerts (docs/adr/0014)
    router
      .group(() => {
        router.post('/me/wallets/:id/telegram/link', [TelegramController, 'linkWallet'])
        router.delete('/me/wallets/:id/telegram', [TelegramController, 'unlinkWallet'])
      })
      .use([middleware.auth({ as: 'user' }), apiThrottle, readInput])

    // Users (own wallet) or services with positions:write
    router
      .post('/positions', [PositionsController, 'store'])
      .use([middleware.auth({ as: 'any', abilities: ['positions:write'] }), apiThrottle, readInput])

    // Users or services
    router
      .group(() => {
        router.get('/signals', [SignalsController, 'index'])
        router.get('/signals/:id', [SignalsController, 'show'])
        router.get('/chains', [ChainsController, 'index'])
      })
      .use([middleware.auth({ as: 'any' }), apiThrottle, readInput])

    // Services only
    router
      .post('/positions/batch', [PositionsController, 'storeBatch'])
      .use([
        middleware.auth({ as: 'service', abilities: ['positions:write'] }),
        apiThrottle,
        readInput,
      ])
    router
      .group(() => {
        router.post('/signals', [SignalsController, 'store'])
        router.post('/signals/:id/acknowledge', [SignalsController, 'acknowledge'])
      })
      .use([
        middleware.auth({ as: 'service', abilities: ['signals:write'] }),
        apiThrottle,
        readInput,
      ])
  })
  .prefix('/api/v1')
