import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { registerSchedule, registerSchedules } from '#infrastructure/queue/schedules'
import { truncateAll } from '#tests/helpers/database'

const nextRuns = async () =>
  Object.fromEntries(
    (await db.from('queue_schedules').select('id', 'next_run_at')).map((r) => [
      r.id,
      new Date(r.next_run_at).getTime(),
    ])
  )

test.group('Queue | schedules registered at every worker boot', (group) => {
  // committed rows: the queue writes schedules through its own connection
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })

  test('a worker booting does not push back a run already due sooner', async ({ assert }) => {
    await registerSchedules()
    const first = await nextRuns()
    assert.sameMembers(Object.keys(first), [
      'expire-signals',
      'escalate-alerts',
      'daily-digests',
      'expire-intents',
      'sweep-deliveries',
      'integrate-events',
      'export-event-anchor',
    ])
    // the escalation is due in 5 s when another worker boots (a restart, a deploy)
    const soon = new Date(Date.now() + 5_000)
    await db.from('queue_schedules').where('id', 'escalate-alerts').update({ next_run_at: soon })
    await registerSchedules()
    const after = await nextRuns()
    assert.equal(after['escalate-alerts'], soon.getTime())
    // a schedule due later than a fresh period is brought forward to it
    const late = new Date(Date.now() + 3_600_000)
    await db.from('queue_schedules').where('id', 'daily-digests').update({ next_run_at: late })
    await registerSchedules()
    assert.isBelow((await nextRuns())['daily-digests'], late.getTime())
  })

  test('nor brings back the old next run when a worker ran the job meanwhile', async ({
    assert,
  }) => {
    await registerSchedules()
    const soon = new Date(Date.now() + 5_000)
    await db.from('queue_schedules').where('id', 'escalate-alerts').update({ next_run_at: soon })
    const ranAt = new Date()
    const nextAfterRun = new Date(ranAt.getTime() + 60_000)
    await registerSchedule('escalate-alerts', async () => {
      // between the read and the write-back another worker claims and runs it
      await db
        .from('queue_schedules')
        .where('id', 'escalate-alerts')
        .update({ last_run_at: ranAt, next_run_at: nextAfterRun })
    })
    assert.equal((await nextRuns())['escalate-alerts'], nextAfterRun.getTime())
  })
})
