/*
 * Production entry point for `pnpm start`: TypeScript runs through ts-exec,
 * so a deployment needs `pnpm install` and `pnpm db:migrate`, no build step.
 */
import '@poppinss/ts-exec'
await import('./server.js')
