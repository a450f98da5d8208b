import { readdir, rename } from 'node:fs/promises'
import { args, BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

/**
 * `pnpm db:make:migration NAME`: Lucid's make:migration (its stubs, its
 * create/alter intent from the name), numbered as the project numbers its
 * migrations — the next integer, not a millisecond timestamp — so the files
 * read in the order they run (1_create_users_table.ts, …).
 */
export default class DbMakeMigration extends BaseCommand {
  static commandName = 'db:make:migration'
  static description = 'Make a new migration file, numbered after the last one'
  static options: CommandOptions = { startApp: true }

  @args.string({
    description: 'Name of the migration (e.g. create_wallets_table, add_label_to_wallets)',
  })
  declare name: string

  @flags.boolean({ description: 'Alter an existing table' })
  declare alter: boolean

  async run() {
    const folder = this.app.makePath('database/migrations')
    const before = new Set(await readdir(folder))
    const next =
      Math.max(0, ...[...before].map((file) => Number.parseInt(file, 10)).filter(Number.isFinite)) +
      1

    const made = await this.kernel.exec('make:migration', [
      this.name,
      ...(this.alter ? ['--alter'] : []),
    ])
    if (made.exitCode) {
      this.exitCode = made.exitCode
      return
    }
    const after = await readdir(folder)
    const created = after.filter((file) => !before.has(file))
    if (created.length !== 1) {
      this.logger.error(`expected one new migration file in ${folder}, found ${created.length}`)
      this.exitCode = 1
      return
    }
    const numbered = created[0].replace(/^\d+_/, `${next}_`)
    await rename(`${folder}/${created[0]}`, `${folder}/${numbered}`)
    this.logger.success(`numbered database/migrations/${numbered}`)
  }
}
