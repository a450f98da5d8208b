/** A row of the alerts list read path (plain rows: no model hydration per alert). */
export interface AlertRow {
  id: string
  signal_id: string | null
  wallet_address: string | null
  type: string
  severity: string
  channel: string
  message: string
  metadata: Record<string, unknown>
  status: string
  attempts: number
  last_error: string | null
  sent_at: Date | null
  acknowledged_at: Date | null
  created_at: Date
}

export const ALERT_ROW_COLUMNS = [
  'id',
  'signal_id',
  'wallet_address',
  'type',
  'severity',
  'channel',
  'message',
  'metadata',
  'status',
  'attempts',
  'last_error',
  'sent_at',
  'acknowledged_at',
  'created_at',
]
