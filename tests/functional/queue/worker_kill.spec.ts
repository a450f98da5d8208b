import { test } from '@japa/runner'
import type { ChildProcess } from 'node:child_process'
import db from '@adonisjs/lucid/services/db'
import SlowProbeJob from '#tests/jobs/slow_probe_job'
import { truncateAll } from '#tests/helpers/database'
import { startWorker as spawnWorker } from '#tests/helpers/worker'

async function waitFor(check: () => Promise<boolean>, ms: number) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return false
}

const events = async (probe: string) =>
  (await db.from('job_probes').where('probe', probe).orderBy('id')).map((r) => r.event as string)

test.group('Queue | a worker killed mid-job', (group) => {
  const workers: ChildProcess[] = []
  group.setup(async () => {
    await db.rawQuery(
      'create table if not exists job_probes (id serial primary key, probe text, event text)'
    )
  })
  group.teardown(async () => {
    for (const w of workers) w.kill('SIGKILL')
    await db.rawQuery('drop table if exists job_probes')
    await truncateAll()
  })

  const startWorker = () => {
    const worker = spawnWorker()
    workers.push(worker)
    return worker
  }

  test('leaves the job to be picked up again by another worker, and it completes once', async ({
    assert,
  }) => {
    await SlowProbeJob.dispatch({ probe: 'kill-1', ms: 4000 })
    const first = startWorker()
    assert.isTrue(
      await waitFor(async () => (await events('kill-1')).includes('started'), 30_000),
      'first start'
    )

    first.kill('SIGKILL') // no graceful shutdown: the lease simply stops being renewed
    startWorker()

    assert.isTrue(
      await waitFor(async () => (await events('kill-1')).includes('completed'), 40_000),
      'the job completed after the crash'
    )
    const seen = await events('kill-1')
    assert.equal(seen.filter((e) => e === 'completed').length, 1)
    assert.isAtLeast(seen.filter((e) => e === 'started').length, 2, 'it ran again from the start')
    const { rows } = await db.rawQuery(`select status from queue_jobs`)
    assert.isTrue(
      rows.every((r: { status: string }) => r.status !== 'active'),
      JSON.stringify(rows)
    )
  }).timeout(90_000)
})
