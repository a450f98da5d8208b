import { test } from '@japa/runner'
import { readdirSync } from 'node:fs'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'

test.group('Database | migrations run in numeric order', () => {
  test('files are numbered without gaps and sorted naturally (10_ after 9_)', async ({
    assert,
  }) => {
    const config = db.getRawConnection('postgres')!.config
    assert.isTrue(config.migrations?.naturalSort, 'naturalSort must stay on')

    const files = readdirSync(app.makePath('database/migrations')).filter((f) => f.endsWith('.ts'))
    const numbers = files.map((f) => Number.parseInt(f.split('_')[0], 10))
    assert.deepEqual(
      [...numbers].sort((a, b) => a - b),
      Array.from({ length: files.length }, (_, i) => i + 1)
    )
  })

  // Once a 10_ migration exists, a plain sort would apply it before 2_: this catches that.
  test('the applied order in the database is the numeric order', async ({ assert }) => {
    const rows = await db.from('adonis_schema').orderBy('id').select('name')
    const numbers = rows.map((r) => Number.parseInt(r.name.split('/').at(-1).split('_')[0], 10))
    assert.isAbove(numbers.length, 5)
    assert.deepEqual(
      numbers,
      [...numbers].sort((a, b) => a - b)
    )
  })
})
