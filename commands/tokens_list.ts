import { BaseCommand } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

export default class TokensList extends BaseCommand {
  static commandName = 'tokens:list'
  static description = 'List service clients and their tokens (never the secrets)'
  static options: CommandOptions = { startApp: true }

  async run() {
    const { ApiClient } = await import('#models')
    const clients = await ApiClient.query().orderBy('name')
    const table = this.ui.table()
    table.head(['client', 'token id', 'abilities', 'expires', 'last used'])
    for (const client of clients) {
      for (const token of await ApiClient.accessTokens.all(client)) {
        table.row([
          client.name,
          String(token.identifier),
          token.abilities.join(','),
          token.expiresAt?.toISOString() ?? 'never',
          token.lastUsedAt?.toISOString() ?? '-',
        ])
      }
    }
    table.render()
  }
}
