/**
 * Every event type the system records (DESIGN.md §5). Adding a state change
 * means adding its type here first.
 */
export const EVENT_TYPES = [
  'user.registered',
  'user.preferences_updated',
  'wallet.added',
  'wallet.updated',
  'wallet.removed',
  'telegram.linked',
  'telegram.unlinked',
  'position.snapshot_recorded',
  'signal.detected',
  'signal.expired',
  'signal.acknowledged',
  'alert.created',
  'alert.sent',
  'alert.failed',
  'alert.acknowledged',
  'intent.created',
  'intent.updated',
  'intent.triggered',
  'intent.cancelled',
  'system.event_store_enabled',
  'system.events_archived',
] as const

export type EventType = (typeof EVENT_TYPES)[number]

export type AggregateType =
  'user' | 'wallet' | 'position' | 'signal' | 'alert' | 'intent' | 'system'
