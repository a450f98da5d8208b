import { DateTime } from 'luxon'

export interface QuietHours {
  start: string // 'HH:MM'
  end: string // 'HH:MM'
}

const clock = (hhmm: string) => {
  const [hour, minute] = hhmm.split(':').map(Number)
  return { hour, minute, minutes: hour * 60 + minute }
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
  // Wall-clock times compared as such, as the fan-out's SQL does: windows built
  // as instants moved with DST (on the spring-forward night 02:30 became 03:30,
  // and 03:10 was outside a 02:30–06:00 window; in the repeated hour the end
  // landed an hour early).
  const local = now.setZone(timezone)
  const start = clock(quietHours.start).minutes
  const { hour, minute, minutes: end } = clock(quietHours.end)
  const t = local.hour * 60 + local.minute + (local.second + local.millisecond / 1000) / 60
  let endsOn: DateTime | null = null
  if (start < end) endsOn = t >= start && t < end ? local : null
  else if (t >= start) endsOn = local.plus({ days: 1 })
  else if (t < end) endsOn = local
  if (!endsOn) return now
  // a local end time that does not exist (skipped by DST) or exists twice is
  // placed as PostgreSQL places it: after the gap, and the later of the two
  const until = DateTime.fromObject(
    { year: endsOn.year, month: endsOn.month, day: endsOn.day, hour, minute },
    { zone: timezone }
  )
  // luxon picks one of a repeated time's two instants by the offset in force
  // *today*; PostgreSQL always takes the later
  const latest = until.getPossibleOffsets().reduce((a, b) => (b > a ? b : a), until)
  return latest.toUTC()
}
