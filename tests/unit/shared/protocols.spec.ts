import { test } from '@japa/runner'
import { canonicalProtocol } from '#domain/shared/protocols'

test.group('Protocols | canonical names', () => {
  test('{0} is stored as {1}')
    .with([
      ['aave', 'aave_v3'],
      ['compound', 'compound_v3'],
      ['aave_v3', 'aave_v3'],
      ['compound_v3', 'compound_v3'],
      // not ours to rename: tracked as the indexer names them
      ['aave_v2', 'aave_v2'],
      ['morpho_blue', 'morpho_blue'],
      // inherited names are not aliases
      ['constructor', 'constructor'],
      ['toString', 'toString'],
    ])
    .run(({ assert }, [name, stored]) => {
      assert.equal(canonicalProtocol(name), stored)
    })
})
