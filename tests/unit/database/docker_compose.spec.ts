import { test } from '@japa/runner'
import { readFileSync } from 'node:fs'
import app from '@adonisjs/core/services/app'
import { parse } from 'yaml'

/*
 * Docker cannot run on the machines the suite runs on, so the compose file is
 * read the way Compose reads it. The promise checked is the schema document's
 * setup section: `docker-compose up -d`, then the documented DB_* values.
 */
test.group('docker-compose.yml | the schema document’s setup', () => {
  const compose = parse(readFileSync(app.makePath('docker-compose.yml'), 'utf8'))
  const doc = readFileSync(app.makePath('docs/seed-schema.md'), 'utf8')
  const documented = Object.fromEntries(
    [...doc.matchAll(/^(DB_[A-Z]+)=(.*)$/gm)].map(([, name, value]) => [name, value])
  )

  test('the documented values reach the PostgreSQL it starts', ({ assert }) => {
    assert.deepEqual(documented, {
      DB_HOST: 'localhost',
      DB_PORT: '5432',
      DB_USER: 'postgres',
      DB_PASSWORD: 'postgres',
      DB_DATABASE: 'defi_assistant',
    })
    const postgres = compose.services.postgres
    assert.equal(postgres.environment.POSTGRES_USER, documented.DB_USER)
    assert.equal(postgres.environment.POSTGRES_PASSWORD, documented.DB_PASSWORD)
    assert.equal(postgres.environment.POSTGRES_DB, documented.DB_DATABASE)
    assert.include(postgres.ports, `${documented.DB_PORT}:5432`)
    assert.isUndefined(postgres.profiles, 'a plain `up -d` starts it')
  })

  test('a plain `up -d` needs nothing else: the app, which needs APP_KEY, is behind a profile', ({
    assert,
  }) => {
    const defaults = Object.entries(compose.services as Record<string, any>)
      .filter(([, service]) => !service.profiles)
      .map(([name]) => name)
    assert.deepEqual(defaults, ['postgres'])
    const appService = compose.services.app
    assert.deepEqual(appService.profiles, ['app'])
    const url = new URL(appService.environment.DATABASE_URL)
    assert.equal(url.username, documented.DB_USER)
    assert.equal(url.password, documented.DB_PASSWORD)
    assert.equal(url.pathname, `/${documented.DB_DATABASE}`)
  })
})
