import { test } from '@japa/runner'
import { DateTime, Settings } from 'luxon'
import type { Assert } from '@japa/assert'
import { deliverAt } from '#domain/alerts/quiet_hours'

const night = { start: '22:00', end: '07:00' }
const utc = (iso: string) => DateTime.fromISO(iso, { zone: 'utc' })

const CLOCK_CHANGE_NIGHTS: [string, string, string, string, string][] = [
  // 2026-03-08, 02:00 EST → 03:00 EDT: at 03:10 EDT a 02:30–06:00 window is on; ends 06:00 EDT
  ['2026-03-08T07:10:00Z', '02:30', '06:00', '2026-03-08T10:00:00.000Z', 'inside, after the gap'],
  // an end time the clocks skip (02:30) is the instant after the gap: 03:30 EDT
  ['2026-03-08T06:10:00Z', '01:00', '02:30', '2026-03-08T07:30:00.000Z', 'end in the gap'],
  // 2026-11-01, 02:00 EDT → 01:00 EST: 01:10 EST is inside 22:00–01:30, which ends at
  // the later 01:30 (EST)
  ['2026-11-01T06:10:00Z', '22:00', '01:30', '2026-11-01T06:30:00.000Z', 'second 01:10'],
  // the first 01:10 (EDT) too: the end is still the later 01:30
  ['2026-11-01T05:10:00Z', '22:00', '01:30', '2026-11-01T06:30:00.000Z', 'first 01:10'],
  // and the first 01:40 (EDT) is past the end on the wall clock: at once
  ['2026-11-01T05:40:00Z', '22:00', '01:30', '2026-11-01T05:40:00.000Z', 'first 01:40'],
]

function clockChangeNights(assert: Assert) {
  for (const [now, start, end, expected, what] of CLOCK_CHANGE_NIGHTS) {
    const at = deliverAt(utc(now), 'high', { start, end }, 'America/New_York')
    assert.equal(at.toISO(), expected, what)
  }
}

test.group('Alerts | quiet hours', () => {
  test('across midnight in Paris (UTC+1 in November)', ({ assert }) => {
    // 23:30 Paris = 22:30 UTC: held until 07:00 Paris = 06:00 UTC next day
    assert.equal(
      deliverAt(utc('2026-11-24T22:30:00Z'), 'high', night, 'Europe/Paris').toISO(),
      '2026-11-25T06:00:00.000Z'
    )
    // 06:59 Paris: still quiet, until 07:00 the same morning
    assert.equal(
      deliverAt(utc('2026-11-25T05:59:00Z'), 'high', night, 'Europe/Paris').toISO(),
      '2026-11-25T06:00:00.000Z'
    )
    // 07:00 and 12:00 Paris: at once
    assert.equal(
      deliverAt(utc('2026-11-25T06:00:00Z'), 'high', night, 'Europe/Paris').toISO(),
      '2026-11-25T06:00:00.000Z'
    )
    assert.equal(
      deliverAt(utc('2026-11-25T11:00:00Z'), 'high', night, 'Europe/Paris').toISO(),
      '2026-11-25T11:00:00.000Z'
    )
  })

  test('New York, and a DST change night (2026-11-01, clocks back at 02:00)', ({ assert }) => {
    // 23:30 EDT on Oct 31 = 03:30 UTC Nov 1; 07:00 EST on Nov 1 = 12:00 UTC
    assert.equal(
      deliverAt(utc('2026-11-01T03:30:00Z'), 'medium', night, 'America/New_York').toISO(),
      '2026-11-01T12:00:00.000Z'
    )
  })

  test('the nights clocks change: wall-clock times, and end times placed as PostgreSQL places them', ({
    assert,
  }) => {
    // in whatever season the code runs: luxon's pick for a repeated time follows today's offset
    const realNow = Settings.now
    try {
      for (const today of ['2026-07-01T12:00:00Z', '2026-12-01T12:00:00Z']) {
        Settings.now = () => Date.parse(today)
        clockChangeNights(assert)
      }
    } finally {
      Settings.now = realNow
    }
  })

  test('critical alerts always go through; no quiet hours or start == end means none', ({
    assert,
  }) => {
    const now = utc('2026-11-24T22:30:00Z')
    assert.equal(deliverAt(now, 'critical', night, 'Europe/Paris').toISO(), now.toISO())
    assert.equal(deliverAt(now, 'high', undefined, 'Europe/Paris').toISO(), now.toISO())
    assert.equal(
      deliverAt(now, 'high', { start: '08:00', end: '08:00' }, 'Europe/Paris').toISO(),
      now.toISO()
    )
  })

  test('a daytime window that does not cross midnight', ({ assert }) => {
    const lunch = { start: '12:00', end: '13:30' }
    assert.equal(
      deliverAt(utc('2026-11-24T12:15:00Z'), 'low', lunch).toISO(),
      '2026-11-24T13:30:00.000Z'
    )
    assert.equal(
      deliverAt(utc('2026-11-24T13:30:00Z'), 'low', lunch).toISO(),
      '2026-11-24T13:30:00.000Z'
    )
  })
})
