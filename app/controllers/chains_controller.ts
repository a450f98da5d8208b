import type { HttpContext } from '@adonisjs/core/http'
import { chainStatuses } from '#services/chain/chain_status'

export default class ChainsController {
  /** Per chain: enabled, the latest block read, lag, the last error. */
  async index(_ctx: HttpContext) {
    return { data: await chainStatuses() }
  }
}
