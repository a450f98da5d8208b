import type { HttpContext } from '@adonisjs/core/http'
import { updateMeValidator } from '#validators/user'
import { findUser, updateProfile } from '#services/users/update_profile'
import { userToJson } from '#transformers/user_transformer'
import { DateTime } from 'luxon'
import features from '#config/features'
import { DomainError } from '#domain/shared/errors'
import { withDefaults } from '#domain/users/preferences'
import { stateAt } from '#services/events/state_at'
import { positionToJson } from '#transformers/position_transformer'
import { stateAtValidator } from '#validators/event'

export default class MeController {
  /** GET /me/state?at= — the caller's state as of an instant, rebuilt from their events. */
  async state({ auth, request }: HttpContext) {
    if (!features.eventStore) {
      throw new DomainError('E_FEATURE_DISABLED', 'The event store is not enabled')
    }
    const { at, walletAddress } = await request.validateUsing(stateAtValidator, {
      data: request.qs(),
    })
    const when = at ?? DateTime.utc()
    const state = await stateAt(auth.use('api').getUserOrFail().id, when, { walletAddress })
    return {
      data: {
        at: when.toUTC().toISO(),
        email: state.email,
        preferences: withDefaults(state.preferences),
        telegramLinked: state.telegramLinked,
        positions: state.positions.map(positionToJson),
        openAlerts: state.openAlerts,
        activeIntents: state.activeIntents,
      },
    }
  }

  async show({ auth }: HttpContext) {
    // The guard's user may be a few seconds old (auth cache); the profile is read fresh.
    return { data: userToJson(await findUser(auth.use('api').getUserOrFail().id)) }
  }

  async update({ auth, request }: HttpContext) {
    const patch = await request.validateUsing(updateMeValidator, { data: request.body() })
    const { user, webhookSecret } = await updateProfile(auth.use('api').getUserOrFail().id, patch)
    // The secret is shown once, here; it is stored encrypted and never returned again.
    return webhookSecret
      ? { data: userToJson(user), meta: { webhookSecret } }
      : { data: userToJson(user) }
  }
}
