import router from '@adonisjs/core/services/router'
import server from '@adonisjs/core/services/server'
// request.original() for JSON bodies, copied on demand instead of on every request
import '#infrastructure/http/original_body'

server.errorHandler(() => import('#exceptions/handler'))

// Runs for every request, matched route or not.
server.use([
  () => import('#middleware/request_context_middleware'),
  () => import('#middleware/force_json_response_middleware'),
  () => import('@adonisjs/cors/cors_middleware'),
])

// Runs for every request with a matched route. The body is read later, by the
// request contract each route ends with (start/routes.ts): after its auth.
router.use([() => import('@adonisjs/auth/initialize_auth_middleware')])

export const middleware = router.named({
  auth: () => import('#middleware/auth_middleware'),
  telegramSecret: () => import('#middleware/telegram_secret_middleware'),
  requestContract: () => import('#middleware/request_contract_middleware'),
})
