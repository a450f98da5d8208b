import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'

/*
 * The server ends the session between a transaction's last statement and its
 * COMMIT (a restart, a failover): the transaction is rolled back, and whoever
 * opened it must hear so. knex reported such a COMMIT as done. Real commits
 * here: no global transaction around these tests.
 */
/** What the COMMIT fails with, depending on when the client notices the session is gone. */
const SESSION_GONE = /not queryable|Connection terminated|terminating connection/
const WALLET = (n: number) => `0x00000000000000000000000000000000000c${String(n).padStart(4, '0')}`

async function endSession(trx: {
  rawQuery: (sql: string) => Promise<{ rows: { pid: number }[] }>
}) {
  const { rows } = await trx.rawQuery('select pg_backend_pid() as pid')
  // waits (up to 5 s) until that session is gone
  await db.rawQuery('select pg_terminate_backend(?, 5000)', [rows[0].pid])
}

test.group('Database | a failed COMMIT fails the transaction', (group) => {
  group.each.teardown(async () => {
    await db
      .from('users')
      .where('wallet_address', 'like', '0x00000000000000000000000000000000000c%')
      .delete()
  })

  test('db.transaction(callback) throws, and nothing it wrote is there', async ({ assert }) => {
    let reachedCommit = false
    const outcome = await db
      .transaction(async (trx) => {
        await trx.rawQuery('insert into users (wallet_address) values (?)', [WALLET(1)])
        await endSession(trx)
        reachedCommit = true
        return 'committed'
      })
      .then(
        (value) => value,
        (error: Error) => error
      )
    assert.isTrue(reachedCommit, 'the insert and the session end succeeded')
    assert.instanceOf(outcome, Error)
    assert.match((outcome as Error).message, SESSION_GONE)
    assert.isNull(await db.from('users').where('wallet_address', WALLET(1)).first())
  })

  test('a transaction committed by hand: commit() throws, and after-commit hooks do not run', async ({
    assert,
  }) => {
    const trx = await db.transaction()
    await trx.rawQuery('insert into users (wallet_address) values (?)', [WALLET(2)])
    let hookRan = false
    trx.after('commit', async () => {
      hookRan = true
    })
    await endSession(trx)
    const failure = await trx.commit().then(
      () => null,
      (error: Error) => error
    )
    assert.match(failure?.message ?? 'committed', SESSION_GONE)
    assert.isNull(await db.from('users').where('wallet_address', WALLET(2)).first())
    // what runs after a commit (a delivery kick) does not run after a failed one
    assert.isFalse(hookRan)
  })

  test('an ordinary commit still commits, and a failing statement still rolls back', async ({
    assert,
  }) => {
    await db.transaction(async (trx) => {
      await trx.rawQuery('insert into users (wallet_address) values (?)', [WALLET(3)])
    })
    assert.isNotNull(await db.from('users').where('wallet_address', WALLET(3)).first())
    await assert.rejects(() =>
      db.transaction(async (trx) => {
        await trx.rawQuery('insert into users (wallet_address) values (?)', [WALLET(4)])
        await trx.rawQuery('insert into users (wallet_address) values (?)', [WALLET(3)])
      })
    )
    assert.isNull(await db.from('users').where('wallet_address', WALLET(4)).first())
  })

  test('a transaction opened with options alone gets them (Lucid dropped them)', async ({
    assert,
  }) => {
    const trx = await db.transaction({ isolationLevel: 'serializable' })
    try {
      const { rows } = await trx.rawQuery('show transaction_isolation')
      assert.equal(rows[0].transaction_isolation, 'serializable')
    } finally {
      await trx.rollback()
    }
  })
})
