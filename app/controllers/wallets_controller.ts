import type { HttpContext } from '@adonisjs/core/http'
import walletsConfig from '#config/wallets'
import {
  addWallet,
  findWallet,
  listWallets,
  removeWallet,
  updateWallet,
  type AddWalletInput,
} from '#services/users/wallets'
import { walletToJson } from '#transformers/wallet_transformer'
import { addWalletValidator, updateWalletValidator } from '#validators/wallet'

/** /me/wallets: the wallets on the caller's list (docs/adr/0014). */
export default class WalletsController {
  async index({ auth }: HttpContext) {
    const wallets = await listWallets(auth.use('api').getUserOrFail().id)
    return {
      data: wallets.map(walletToJson),
      meta: { nextCursor: null, count: wallets.length, max: walletsConfig.perUserMax },
    }
  }

  async show({ auth, params }: HttpContext) {
    return { data: walletToJson(await findWallet(auth.use('api').getUserOrFail().id, params.id)) }
  }

  async store({ auth, request, response }: HttpContext) {
    const input = await request.validateUsing(addWalletValidator, { data: request.body() })
    const { wallet, upgraded } = await addWallet(
      auth.use('api').getUserOrFail().id,
      input as AddWalletInput
    )
    // a watched wallet proven: the same entry, changed
    return response
      .status(upgraded ? 200 : 201)
      .send({ data: walletToJson(wallet), meta: { upgraded } })
  }

  async update({ auth, params, request }: HttpContext) {
    const patch = await request.validateUsing(updateWalletValidator, { data: request.body() })
    const wallet = await updateWallet(auth.use('api').getUserOrFail().id, params.id, patch)
    return { data: walletToJson(wallet) }
  }

  async destroy({ auth, params, response }: HttpContext) {
    await removeWallet(auth.use('api').getUserOrFail().id, params.id)
    return response.noContent()
  }
}
