// The baseline runs exactly the SQL the API runs (knex's :user binding becomes $1 for raw pg).
import { LATEST_POSITIONS_SQL as API_SQL } from '#infrastructure/database/queries/latest_positions_sql'

export const LATEST_POSITIONS_SQL = API_SQL.replaceAll(':user', '$1')
