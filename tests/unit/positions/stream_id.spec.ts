import { test } from '@japa/runner'
import { positionStreamId } from '#services/positions/record_snapshots'

// A position stream's id is the aggregate id of every snapshot event already
// stored: computed any other way, new snapshots would start a second chain.
test.group('Position stream id', () => {
  test('is the UUIDv5 of "user:protocol:chain" in the stream namespace, as first stored', ({
    assert,
  }) => {
    assert.equal(
      positionStreamId('0192f3a0-0000-7000-8000-000000000001', 'aave_v3', 1),
      'd142b989-315a-5052-b087-6115cf557f8c'
    )
    // non-ASCII text is hashed as its UTF-8 bytes, as before
    assert.equal(
      positionStreamId('0192f3a0-0000-7000-8000-00000000000é', 'compound_v3', 8453),
      'e269a556-6df5-542d-9fad-a2a651d137fa'
    )
  })
})
