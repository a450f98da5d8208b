import { type DateTime } from 'luxon'

export interface QuietHours {
  start: string // 'HH:MM'
  end: string // 'HH:MM'
}

function at(day: DateTime, hhmm: string): DateTime {
  const [hour, minute] = hhmm.split(':').map(Number)
  return day.set({ hour, minute, second: 0, millisecond: 0 })
}

/**
 * When an alert may go out: now for critical ones or outside the user's quiet
 * hours; otherwise the end of the current quiet window, in the user's time
 * zone. Windows may cross midnight (22:00–07:00); start == end means none.
 */
export function deliverAt(
  now: DateTime,
  severity: string,
  quietHours: QuietHours | undefined,
  timezone = 'UTC'
): DateTime {
  if (severity === 'critical' || !quietHours || quietHours.start === quietHours.end) return now
  const local = now.setZone(timezone)
  const candidates = [local.minus({ days: 1 }), local].map((day) => {
    const start = at(day, quietHours.start)
    let end = at(day, quietHours.end)
    if (end <= start) end = at(day.plus({ days: 1 }), quietHours.end)
    return { start, end }
  })
  const window = candidates.find(({ start, end }) => local >= start && local < end)
  return window ? window.end.toUTC() : now
}
