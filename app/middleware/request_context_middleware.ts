import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { requestContext } from '#infrastructure/context/request_context'

/**
 * Opens the request context (request id now, actor once authenticated) that
 * services and the event recorder read without seeing HttpContext.
 */
export default class RequestContextMiddleware {
  handle({ request, response }: HttpContext, next: NextFn) {
    const requestId = request.id()
    if (requestId) response.header('X-Request-Id', requestId)
    return requestContext.run({ requestId }, () => next())
  }
}
