import { test } from '@japa/runner'
import { spawn, type ChildProcess } from 'node:child_process'
import db from '@adonisjs/lucid/services/db'
import app from '@adonisjs/core/services/app'
import { SignalFactory } from '#factories/signal_factory'
import { truncateAll } from '#tests/helpers/database'

test.group('Signals | expiry by a real worker (committed rows)', (group) => {
  let workers: ChildProcess[] = []
  group.each.teardown(async () => {
    for (const worker of workers) worker.kill('SIGKILL')
    workers = []
    await truncateAll()
  })

  const startWorker = () => {
    const worker = spawn(process.execPath, ['ace.js', 'queue:work'], {
      cwd: app.appRoot.pathname,
      env: { ...process.env, NODE_ENV: 'test', SIGNAL_EXPIRY_EVERY: '1s' },
      stdio: 'ignore',
    })
    workers.push(worker)
  }

  test('a signal past expiresAt is expired by the scheduled job, once, with two workers running', async ({
    assert,
  }) => {
    const base = await SignalFactory.make()
    const due = await SignalFactory.merge({
      detectedAt: base.detectedAt.minus({ hours: 2 }),
      expiresAt: base.detectedAt.minus({ minutes: 1 }),
    }).create()
    const live = await SignalFactory.merge({ asset: 'DAI' }).create()
    startWorker()
    startWorker()

    let status = 'active'
    for (let i = 0; i < 150 && status === 'active'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      status = (await db.from('signals').where('id', due.id).firstOrFail()).status
    }
    assert.equal(status, 'expired')
    assert.equal((await db.from('signals').where('id', live.id).firstOrFail()).status, 'active')
    // give both workers a few more periods: the event must still be recorded once
    await new Promise((resolve) => setTimeout(resolve, 2500))
    const events = await db
      .from('event_store')
      .where({ aggregate_id: due.id, event_type: 'signal.expired' })
    assert.lengthOf(events, 1)
    assert.deepEqual(events[0].metadata.actor, { type: 'system', id: 'signal-expiry' })
  }).timeout(60_000)
})
