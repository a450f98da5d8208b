import { test } from '@japa/runner'
import HttpExceptionHandler from '#exceptions/handler'
import { OwnersChangedError } from '#infrastructure/database/queries/snapshots'

test.group('HTTP | an ingest that lost every retry', () => {
  test('losing the race to create its owners every time is a 409 in the error shape, not a 500', ({
    assert,
  }) => {
    const { status, errors } = new HttpExceptionHandler().toApiErrors(new OwnersChangedError())
    assert.equal(status, 409)
    assert.deepEqual(errors, [
      { code: 'E_CONFLICT', message: 'Another ingest was creating the same users; retry' },
    ])
  })
})
