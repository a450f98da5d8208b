import { configApp } from '@adonisjs/eslint-config'

export default configApp(
  {
    ignores: ['build/**', '.data/**', '.adonisjs/**', 'tmp/**', 'docs/client/**'],
  },
  {
    // Tests read query results inline; naming each intermediate adds nothing there.
    files: ['tests/**/*.ts', 'bench/**/*.ts'],
    rules: { '@unicorn/no-await-expression-member': 'off' },
  },
  {
    // The domain is pure TypeScript: no framework, no I/O, no outer layer.
    files: ['app/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@adonisjs/*', '@vinejs/*', 'pg', 'knex'],
              message: 'domain code does no I/O and knows no framework',
            },
            {
              group: [
                '#services/*',
                '#infrastructure/*',
                '#models',
                '#models/*',
                '#controllers/*',
                '#jobs/*',
                '#validators/*',
                '#transformers/*',
                '#middleware/*',
                '#config/*',
                '#start/*',
              ],
              message: 'domain imports nothing outside itself',
            },
            {
              group: ['node:fs', 'node:net', 'node:http', 'node:https', 'node:child_process'],
              message: 'domain code does no I/O',
            },
          ],
        },
      ],
    },
  },
  {
    // Services never see HttpContext; nothing imports an edge.
    files: ['app/services/**/*.ts', 'app/infrastructure/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '#controllers/*',
                '#middleware/*',
                '#validators/*',
                '#transformers/*',
                '#jobs/*',
              ],
              message: 'services and infrastructure do not import edges',
            },
          ],
          paths: [
            {
              name: '@adonisjs/core/http',
              importNames: ['HttpContext'],
              message: 'services never see HttpContext',
            },
          ],
        },
      ],
    },
  }
)
