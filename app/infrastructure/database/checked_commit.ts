import { QueryClient } from '@adonisjs/lucid/database'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'

/**
 * A COMMIT that fails must fail the transaction. knex (3.3) resolves
 * `commit()` even when the COMMIT itself failed — the server stopped, or the
 * session was ended between the last statement and the commit, so everything
 * was rolled back — and reports it only through the transaction's
 * `executionPromise`. Lucid awaits `commit()` alone: such a write was answered
 * 201 and was not there after the restart (tests/resilience/database_faults.spec.ts
 * caught it in 3 of 22 runs).
 *
 * Every transaction opened through a query client (`db.transaction()`, with or
 * without a callback) gets a knex `commit()` that also waits for that promise.
 * Lucid's own handling stays: on a failed commit its `commit()` throws before
 * running after-commit hooks, and a self-managed transaction rethrows the error.
 * Savepoints (nested transactions) are left alone: they commit nothing.
 */
type KnexTransaction = {
  commit(value?: unknown): Promise<unknown>
  executionPromise?: Promise<unknown>
}

function checked<T extends TransactionClientContract>(trx: T): T {
  const knexTransaction = trx.knexClient as unknown as KnexTransaction
  const commit = knexTransaction.commit.bind(knexTransaction)
  knexTransaction.commit = async (value?: unknown) => {
    const result = await commit(value)
    await knexTransaction.executionPromise
    return result
  }
  return trx
}

const frameworkTransaction = QueryClient.prototype.transaction as unknown as (
  this: QueryClient,
  ...args: unknown[]
) => Promise<unknown>

QueryClient.prototype.transaction = function (this: QueryClient, ...args: unknown[]) {
  const [callback, options] = args
  if (typeof callback === 'function') {
    return frameworkTransaction.call(
      this,
      (trx: TransactionClientContract) => callback(checked(trx)),
      options
    )
  }
  // Lucid's Database.transaction(options) hands the options over in the callback's
  // place, where QueryClient.transaction does not read them: an isolation level was
  // silently dropped. They go where they are read.
  return frameworkTransaction
    .call(this, undefined, options ?? callback)
    .then((trx) => checked(trx as TransactionClientContract))
} as QueryClient['transaction']
