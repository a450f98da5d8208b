/*
 * Ace entry point. ts-exec compiles TypeScript on the fly, so there is
 * no build step between a checkout and a running command.
 */
import '@poppinss/ts-exec'
await import('./bin/console.js')
