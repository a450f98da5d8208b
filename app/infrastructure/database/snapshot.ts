import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'

/**
 * Runs `work` in a REPEATABLE READ transaction: every statement reads the same
 * snapshot, whatever commits meanwhile. Inside another transaction (the tests'
 * global one) it is a savepoint and reads as that transaction does: the
 * isolation level belongs to the outermost one. (Not Lucid's `isolationLevel`
 * option: a nested transaction hands it to knex in the callback's place and
 * fails with "container is not a function".)
 */
export function inOneSnapshot<T>(work: (trx: TransactionClientContract) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    const nested = Boolean(
      (trx.knexClient as unknown as { parentTransaction?: unknown }).parentTransaction
    )
    if (!nested) await trx.rawQuery('set transaction isolation level repeatable read')
    return work(trx)
  })
}
