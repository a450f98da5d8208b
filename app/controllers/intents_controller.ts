import type { HttpContext } from '@adonisjs/core/http'
import features from '#config/features'
import { DomainError } from '#domain/shared/errors'
import {
  createIntentValidator,
  listExecutionsValidator,
  listIntentsValidator,
  updateIntentValidator,
} from '#validators/intent'
import {
  cancelIntent,
  createIntent,
  findIntent,
  listExecutions,
  listIntents,
  updateIntent,
} from '#services/intents/intents'
import { executionToJson, intentToJson } from '#transformers/intent_transformer'

/** Phase gate: with FEATURE_INTENTS off, every intents route is a 404. */
function gate() {
  if (!features.intents) throw new DomainError('E_FEATURE_DISABLED', 'Intents are not enabled')
}

export default class IntentsController {
  async index({ auth, request }: HttpContext) {
    gate()
    const query = await request.validateUsing(listIntentsValidator, { data: request.qs() })
    const page = await listIntents(auth.use('api').getUserOrFail().id, query)
    return { data: page.data.map(intentToJson), meta: { nextCursor: page.nextCursor } }
  }

  async store({ auth, request, response }: HttpContext) {
    gate()
    const input = await request.validateUsing(createIntentValidator, { data: request.body() })
    const intent = await createIntent(auth.use('api').getUserOrFail().id, input)
    return response.created({ data: intentToJson(intent) })
  }

  async show({ auth, params }: HttpContext) {
    gate()
    return { data: intentToJson(await findIntent(auth.use('api').getUserOrFail().id, params.id)) }
  }

  async update({ auth, params, request }: HttpContext) {
    gate()
    const patch = await request.validateUsing(updateIntentValidator, { data: request.body() })
    const intent = await updateIntent(auth.use('api').getUserOrFail().id, params.id, patch)
    return { data: intentToJson(intent) }
  }

  async destroy({ auth, params }: HttpContext) {
    gate()
    return { data: intentToJson(await cancelIntent(auth.use('api').getUserOrFail().id, params.id)) }
  }

  async executions({ auth, params, request }: HttpContext) {
    gate()
    const query = await request.validateUsing(listExecutionsValidator, { data: request.qs() })
    const page = await listExecutions(auth.use('api').getUserOrFail().id, params.id, query)
    return { data: page.data.map(executionToJson), meta: { nextCursor: page.nextCursor } }
  }
}
