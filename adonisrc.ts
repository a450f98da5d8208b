import { defineConfig } from '@adonisjs/core/app'

export default defineConfig({
  commands: [
    () => import('@adonisjs/core/commands'),
    () => import('@adonisjs/lucid/commands'),
    () => import('@adonisjs/queue/commands'),
  ],

  providers: [
    () => import('@adonisjs/core/providers/app_provider'),
    () => import('@adonisjs/core/providers/hash_provider'),
    {
      file: () => import('@adonisjs/core/providers/repl_provider'),
      environment: ['repl', 'test'],
    },
    () => import('@adonisjs/core/providers/vinejs_provider'),
    () => import('@adonisjs/lucid/database_provider'),
    () => import('@adonisjs/queue/queue_provider'),
    () => import('@adonisjs/auth/auth_provider'),
    () => import('@adonisjs/limiter/limiter_provider'),
    () => import('@adonisjs/cors/cors_provider'),
    () => import('@adonisjs/mail/mail_provider'),
  ],

  preloads: [
    () => import('#start/database'),
    () => import('#start/routes'),
    () => import('#start/kernel'),
    { file: () => import('#start/scheduler'), environment: ['console'] },
    { file: () => import('#start/chain'), environment: ['web', 'console'] },
    { file: () => import('#start/event_store_gate'), environment: ['web', 'console'] },
  ],

  directories: {
    models: 'app/infrastructure/database/models',
    factories: 'app/infrastructure/database/factories',
  },

  tests: {
    suites: [
      {
        files: ['tests/unit/**/*.spec.ts'],
        name: 'unit',
        timeout: 5_000,
      },
      {
        files: ['tests/functional/**/*.spec.ts'],
        name: 'functional',
        timeout: 30_000,
      },
      {
        files: ['tests/resilience/**/*.spec.ts'],
        name: 'resilience',
        timeout: 360_000,
      },
    ],
    forceExit: false,
  },
})
