import env from '#start/env'
import { defineConfig } from '@adonisjs/core/bodyparser'

export default defineConfig({
  allowedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
  form: {
    convertEmptyStringsToNull: true,
    types: ['application/x-www-form-urlencoded'],
    limit: '64kb',
  },
  json: {
    // A batch of 1,000 realistic snapshots (a few assets each) is ~1.5 MB.
    limit: env.get('BODY_LIMIT', '4mb'),
    strict: true,
    // Done by SafeInputMiddleware in one walk; bodyparser's reviver was 5× slower on a batch.
    convertEmptyStringsToNull: false,
    trimWhitespaces: false,
    types: ['application/json', 'application/vnd.api+json'],
  },
  raw: {
    types: [],
  },
  multipart: {
    autoProcess: false,
    convertEmptyStringsToNull: true,
    processManually: [],
    limit: '1mb',
    types: [],
  },
})
