import type { HttpContext } from '@adonisjs/core/http'
import { updateMeValidator } from '#validators/user'
import { updateProfile } from '#services/users/update_profile'
import { userToJson } from '#transformers/user_transformer'

export default class MeController {
  async show({ auth }: HttpContext) {
    return { data: userToJson(auth.use('api').getUserOrFail()) }
  }

  async update({ auth, request }: HttpContext) {
    const patch = await request.validateUsing(updateMeValidator)
    const user = await updateProfile(auth.use('api').getUserOrFail().id, patch)
    return { data: userToJson(user) }
  }
}
