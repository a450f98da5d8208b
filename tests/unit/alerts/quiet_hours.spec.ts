import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { deliverAt } from '#domain/alerts/quiet_hours'

const night = { start: '22:00', end: '07:00' }
const utc = (iso: string) => DateTime.fromISO(iso, { zone: 'utc' })

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
