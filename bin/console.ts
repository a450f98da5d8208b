import 'reflect-metadata'
import { Ignitor, prettyPrintError } from '@adonisjs/core'

const APP_ROOT = new URL('../', import.meta.url)

const IMPORTER = (filePath: string) => {
  if (filePath.startsWith('./') || filePath.startsWith('../')) {
    return import(new URL(filePath, APP_ROOT).href)
  }
  return import(filePath)
}

// The ace kernel consumes argv; preloads that act only for one command
// (start/scheduler.ts, for queue:work) read its name from here.
const args = process.argv.splice(2)
process.env.ACE_COMMAND = args[0] ?? ''

new Ignitor(APP_ROOT, { importer: IMPORTER })
  .tap((app) => {
    app.booting(async () => {
      await import('#start/env')
    })
    app.listen('SIGTERM', () => app.terminate())
    app.listenIf(app.managedByPm2, 'SIGINT', () => app.terminate())
  })
  .ace()
  .handle(args)
  .catch((error) => {
    process.exitCode = 1
    prettyPrintError(error)
  })
