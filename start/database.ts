/*
 * Before anything opens a transaction: a COMMIT that fails must fail it
 * (app/infrastructure/database/checked_commit.ts).
 */
import '#infrastructure/database/checked_commit'
