import type { HttpContext } from '@adonisjs/core/http'
import { updateMeValidator } from '#validators/user'
import { findUser, updateProfile } from '#services/users/update_profile'
import { userToJson } from '#transformers/user_transformer'

export default class MeController {
  async show({ auth }: HttpContext) {
    // The guard's user may be a few seconds old (auth cache); the profile is read fresh.
    return { data: userToJson(await findUser(auth.use('api').getUserOrFail().id)) }
  }

  async update({ auth, request }: HttpContext) {
    const patch = await request.validateUsing(updateMeValidator)
    const { user, webhookSecret } = await updateProfile(auth.use('api').getUserOrFail().id, patch)
    // The secret is shown once, here; it is stored encrypted and never returned again.
    return webhookSecret
      ? { data: userToJson(user), meta: { webhookSecret } }
      : { data: userToJson(user) }
  }
}
