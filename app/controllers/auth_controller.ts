import type { HttpContext } from '@adonisjs/core/http'
import type { Hex } from 'viem'
import { siweValidator } from '#validators/auth'
import { issueNonce } from '#services/auth/nonces'
import { signInWithEthereum } from '#services/auth/sign_in_with_ethereum'
import { userToJson } from '#transformers/user_transformer'

export default class AuthController {
  async nonce({ response }: HttpContext) {
    const { nonce, expiresAt } = await issueNonce()
    response.header('Cache-Control', 'no-store')
    return { nonce, expiresAt: expiresAt.toISOString() }
  }

  async siwe({ request, response }: HttpContext) {
    const { message, signature } = await request.validateUsing(siweValidator, {
      data: request.body(),
    })
    const result = await signInWithEthereum(message, signature as Hex)
    response.header('Cache-Control', 'no-store')
    return response.ok({
      token: {
        type: result.token.type,
        value: result.token.value,
        expiresAt: result.token.expiresAt?.toISOString() ?? null,
      },
      user: userToJson(result.user),
    })
  }

  async logout({ auth, response }: HttpContext) {
    await auth.use('api').invalidateToken()
    return response.noContent()
  }
}
