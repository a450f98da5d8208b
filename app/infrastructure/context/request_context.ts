import { AsyncLocalStorage } from 'node:async_hooks'

export type Actor =
  | { type: 'user'; id: string }
  | { type: 'service'; id: string; name?: string }
  | { type: 'system'; id: string }

export interface RequestContext {
  requestId?: string
  actor?: Actor
}

/**
 * Who is acting and for which request, carried implicitly through async calls
 * so services and the event recorder can stamp it without seeing HttpContext.
 * The HTTP edge, jobs and commands each open a context.
 */
export const requestContext = new AsyncLocalStorage<RequestContext>()

export function currentContext(): RequestContext {
  return requestContext.getStore() ?? {}
}
