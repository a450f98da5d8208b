import { test } from '@japa/runner'
import { isDatabaseUnavailable } from '#exceptions/handler'

test.group('HTTP | which failures mean the database is down (503, not 500)', () => {
  test('connection-level failures, by code or by node-postgres message', ({ assert }) => {
    const down = [
      { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' },
      { code: '57P01', message: 'terminating connection due to administrator command' },
      { code: '57P03', message: 'the database system is shutting down' },
      { name: 'KnexTimeoutError', message: 'Knex: Timeout acquiring a connection' },
      { message: 'Connection terminated unexpectedly' },
      // A pooled client whose server died mid-transaction: this one was a 500.
      {
        message:
          'select 1 from users where id = any($1::uuid[]) for update - Client has encountered a connection error and is not queryable',
      },
      { message: 'Client was closed and is not queryable' },
      // knex, inside a transaction it rolled back when the connection died: also was a 500.
      { message: 'Transaction query already complete, run with DEBUG=knex:tx for more info' },
    ]
    for (const error of down) assert.isTrue(isDatabaseUnavailable(error), error.message)
  })

  test('query errors and bugs are not', ({ assert }) => {
    const notDown = [
      { code: '23505', message: 'duplicate key value violates unique constraint' },
      { code: '22P02', message: 'invalid input syntax for type uuid' },
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      null,
      'a string',
    ]
    for (const error of notDown) assert.isFalse(isDatabaseUnavailable(error), String(error))
  })
})
