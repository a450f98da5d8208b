import { BaseCommand, args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

export default class TokensRevoke extends BaseCommand {
  static commandName = 'tokens:revoke'
  static description = 'Revoke one service token by id, or every token of a client with --all'
  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Client name' })
  declare name: string

  @args.string({ description: 'Token id (see tokens:list)', required: false })
  declare tokenId?: string

  @flags.boolean({ description: 'Revoke every token of the client' })
  declare all?: boolean

  async run() {
    const { ApiClient } = await import('#models')
    const client = await ApiClient.findBy('name', this.name)
    if (!client) {
      this.logger.error(`No client named "${this.name}"`)
      this.exitCode = 1
      return
    }
    if (this.all) {
      const count = await ApiClient.accessTokens.deleteAll(client)
      this.logger.success(`Revoked ${count} token(s) of "${client.name}"`)
      return
    }
    if (!this.tokenId) {
      this.logger.error('Give a token id, or --all')
      this.exitCode = 1
      return
    }
    const count = await ApiClient.accessTokens.delete(client, this.tokenId)
    if (count === 0) {
      this.logger.error(`"${client.name}" has no token ${this.tokenId}`)
      this.exitCode = 1
      return
    }
    this.logger.success(`Revoked token ${this.tokenId} of "${client.name}"`)
  }
}
