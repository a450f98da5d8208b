/*
 * The Lucid models. Each is exported under two names: the project's own
 * (User, Position, …) and the one the schema document the project was
 * specified by uses (UserModel, PositionModel, …, shared/SEED-SCHEMA.md),
 * so its examples run as written.
 */
export { default as User, default as UserModel } from './user.js'
export { default as UserWallet } from './user_wallet.js'
export { default as Position, default as PositionModel } from './position.js'
export { default as Signal, default as SignalModel } from './signal.js'
export { default as Alert, default as AlertModel } from './alert.js'
export { default as Intent, default as IntentModel } from './intent.js'
export { default as EventStoreEntry, default as EventStoreModel } from './event_store.js'
export { default as ApiClient } from './api_client.js'
