import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

/** Abilities a service token can carry. */
export const SERVICE_ABILITIES = ['positions:write', 'signals:write'] as const

export default class TokensCreate extends BaseCommand {
  static commandName = 'tokens:create'
  static description =
    'Create a service token (indexer, signal feed); the token alone is on the last line'
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'Service name (created if new)', required: true })
  declare name: string

  @flags.array({
    description: `Abilities, comma-separated: ${SERVICE_ABILITIES.join(', ')}`,
    required: true,
  })
  declare abilities: string[]

  @flags.string({ description: 'Lifetime such as 90d, 12h (default: never expires)' })
  declare expiresIn?: string

  async run() {
    const { ApiClient } = await import('#models')
    const abilities = this.abilities
      .flatMap((a) => a.split(','))
      .map((a) => a.trim())
      .filter(Boolean)
    const unknown = abilities.filter((a) => !(SERVICE_ABILITIES as readonly string[]).includes(a))
    if (abilities.length === 0 || unknown.length > 0) {
      this.logger.error(
        `Unknown abilities: ${unknown.join(', ') || '(none given)'}. Known: ${SERVICE_ABILITIES.join(', ')}`
      )
      this.exitCode = 1
      return
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(this.name)) {
      this.logger.error('The name may hold letters, digits, "_", "." and "-" (64 at most)')
      this.exitCode = 1
      return
    }

    const client = await ApiClient.firstOrCreate({ name: this.name }, { name: this.name })
    const token = await ApiClient.accessTokens.create(client, abilities, {
      name: `cli:${new Date().toISOString()}`,
      expiresIn: this.expiresIn ? toDuration(this.expiresIn) : undefined,
    })
    this.logger.info(
      `Token ${String(token.identifier)} for "${client.name}" with ${abilities.join(', ')}` +
        (token.expiresAt ? `, expires ${token.expiresAt.toISOString()}` : ', never expires')
    )
    // Scripts read the last line: the token and nothing else.
    this.logger.log(token.value!.release())
  }
}

/** "90d" -> "90 days": the ms-style strings the token provider understands. */
function toDuration(value: string): string {
  const match = /^(\d+)\s*([smhdwy])$/.exec(value.trim())
  if (!match) return value
  const units: Record<string, string> = {
    s: 'seconds',
    m: 'minutes',
    h: 'hours',
    d: 'days',
    w: 'weeks',
    y: 'years',
  }
  return `${match[1]} ${units[match[2]]}`
}
