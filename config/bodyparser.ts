import env from '#start/env'
import { defineConfig } from '@adonisjs/core/bodyparser'

export default defineConfig({
  allowedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
  // JSON only (ADR 0008): any other body is a 415 before it is read
  // (app/middleware/request_contract_middleware.ts), so no form is ever parsed.
  form: {
    convertEmptyStringsToNull: false,
    types: [],
    limit: '64kb',
  },
  json: {
    // A batch of 1,000 realistic snapshots (a few assets each) is ~1.5 MB.
    limit: env.get('BODY_LIMIT', '4mb'),
    strict: true,
    // Strings are taken as sent: nothing trims them or turns "" into null (ADR 0008).
    convertEmptyStringsToNull: false,
    trimWhitespaces: false,
    types: ['application/json'],
  },
  raw: {
    types: [],
  },
  multipart: {
    autoProcess: false,
    convertEmptyStringsToNull: false,
    processManually: [],
    limit: '1mb',
    types: [],
  },
})
