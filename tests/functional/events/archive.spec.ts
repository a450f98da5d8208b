import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { createHash } from 'node:crypto'
import EventsArchive from '#commands/events_archive'
import EventsVerify from '#commands/events_verify'
import EventsReplay from '#commands/events_replay'
import { truncateAll, sqlStateOf } from '#tests/helpers/database'
import { serviceToken, signIn } from '#tests/helpers/auth'
import { snapshotBody } from '#tests/helpers/snapshots'
import { createLinkCode, linkChat } from '#services/telegram/linking'
import { integrated } from '#tests/helpers/events'

const pause = () => new Promise((resolve) => setTimeout(resolve, 20))

async function run(
  command: typeof EventsArchive | typeof EventsVerify | typeof EventsReplay,
  args: string[]
) {
  const ace = await app.container.make('ace')
  ace.ui.switchMode('raw')
  const instance = await ace.create(command, args)
  await instance.exec()
  const logs = instance.logger.getLogs().map((l) => l.message)
  return { exitCode: instance.exitCode ?? 0, logs, text: logs.join('\n') }
}

const lastLine = (logs: string[]) => logs.at(-1)!.trim()

/* Committed rows: the archiver and the verifier run their own transactions. */
test.group('Event store | node ace events:archive', (group) => {
  let dir: string
  group.each.setup(async () => {
    await truncateAll()
    dir = await mkdtemp(join(tmpdir(), 'archive-'))
    return () => rm(dir, { recursive: true, force: true })
  })
  group.teardown(() => truncateAll())

  test('old events move to a file; the chain, the state, replay, anchors and appends all hold', async ({
    assert,
    client,
  }) => {
    const { token, user } = await signIn(client)
    const patch = (body: object) => client.patch('/api/v1/me').bearerToken(token).json(body)
    ;(
      await patch({ preferences: { watchAssets: ['USDC'], riskProfile: 'aggressive' } })
    ).assertStatus(200)
    await integrated()
    const early = lastLine((await run(EventsVerify, [])).logs)
    const { code } = await createLinkCode(user.id)
    assert.isTrue((await linkChat('515151', code, 'start')).linked)
    for (const at of ['2026-11-01T10:00:00Z', '2026-11-01T11:00:00Z']) {
      ;(
        await client
          .post('/api/v1/positions')
          .bearerToken(token)
          .json(snapshotBody({ snapshotAt: at }))
      ).assertStatus(201)
    }
    ;(
      await client
        .post('/api/v1/signals')
        .bearerToken(await serviceToken(['signals:write']))
        .json({
          type: 'depeg',
          asset: 'USDC',
          severity: 'high',
          detectedAt: new Date(Date.now() - 1000).toISOString(),
        })
    ).assertStatus(201)
    const intent = (
      await client
        .post('/api/v1/intents')
        .bearerToken(token)
        .json({
          name: 'Guard',
          protocol: 'aave_v3',
          chainId: 1,
          condition: { metric: 'health_factor', operator: 'lt', value: '1.2' },
          action: { type: 'repay', asset: 'USDC', amount: '100' },
        })
    ).body().data
    await integrated()
    const atCut = lastLine((await run(EventsVerify, [])).logs)
    await pause()
    const cut = new Date()
    await pause()
    // After the cut: one more change to the user (a partly archived chain) and a new position.
    ;(
      await patch({ email: 'kept@example.com', preferences: { riskProfile: 'conservative' } })
    ).assertStatus(200)
    ;(
      await client
        .post('/api/v1/positions')
        .bearerToken(token)
        .json(snapshotBody({ protocol: 'compound_v3', snapshotAt: '2026-11-02T09:00:00Z' }))
    ).assertStatus(201)

    await integrated()
    const liveState = (await client.get('/api/v1/me/state').bearerToken(token)).body().data
    const { rows: old } = await db.rawQuery(
      `select position::text, encode(event_leaf(aggregate_type, aggregate_id, version, event_type,
                payload, metadata, occurred_at, user_id), 'hex') as hash
       from event_store where occurred_at < ? order by position`,
      [cut.toISOString()]
    )
    assert.isAtLeast(old.length, 8)

    const file = join(dir, 'events.jsonl.gz')
    await integrated()
    const archived = await run(EventsArchive, [`--before=${cut.toISOString()}`, `--out=${file}`])
    assert.equal(archived.exitCode, 0, archived.text)
    assert.match(archived.text, new RegExp(`archived ${old.length} events`))
    const sha = createHash('sha256')
      .update(await readFile(file))
      .digest('hex')
    assert.equal(lastLine(archived.logs), `sha256 ${sha}`)

    // The file: a header, then each archived block followed by its events with their leaves, readable JSON.
    const lines = gunzipSync(await readFile(file))
      .toString('utf8')
      .trim()
      .split('\n')
    const header = JSON.parse(lines[0])
    assert.equal(header.format, 'defi-assistant-event-archive/2')
    assert.equal(header.events, old.length)
    const inFile = lines
      .slice(1)
      .map((l) => JSON.parse(l))
      .filter((l) => !l.block)
    assert.isAbove(lines.slice(1).filter((l) => l.startsWith('{"block":')).length, 0)
    assert.sameMembers(
      inFile.map((e) => `${e.position}:${e.hash}`),
      old.map((e: { position: string; hash: string }) => `${e.position}:${e.hash}`)
    )
    assert.deepEqual(inFile.find((e) => e.type === 'intent.created').payload.name, 'Guard')

    // The store: nothing older than the cut but the record of the archive itself.
    const { rows: left } = await db.rawQuery(
      'select event_type from event_store where occurred_at < ? or event_type = ?',
      [cut.toISOString(), 'system.events_archived']
    )
    assert.deepEqual(
      left.map((r: { event_type: string }) => r.event_type),
      ['system.events_archived']
    )

    // The state now is unchanged; before the cut it can no longer be rebuilt.
    await integrated()
    const after = (await client.get('/api/v1/me/state').bearerToken(token)).body().data
    assert.deepEqual({ ...after, at: null }, { ...liveState, at: null })
    assert.equal(after.email, 'kept@example.com')
    assert.deepEqual(after.preferences.watchAssets, ['USDC'])
    assert.isTrue(after.telegramLinked)
    assert.lengthOf(after.positions, 2)
    assert.isNotEmpty(after.openAlerts)
    assert.deepEqual(
      after.activeIntents.map((i: { id: string }) => i.id),
      [intent.id]
    )
    await integrated()
    const tooOld = await client
      .get(`/api/v1/me/state?at=${encodeURIComponent(new Date(cut.getTime() - 1).toISOString())}`)
      .bearerToken(token)
    tooOld.assertStatus(422)
    assert.deepInclude(tooOld.body().errors[0], { code: 'E_ARCHIVED', field: 'at' })

    // The store: intact, the anchor taken at the cut (the last archived block) still
    // matches from the archive row; an older one needs the file.
    await integrated()
    const verified = await run(EventsVerify, [`--anchor=${atCut}`])
    assert.equal(verified.exitCode, 0, verified.text)
    assert.match(verified.text, /store intact/)
    await integrated()
    const withoutFile = await run(EventsVerify, [`--anchor=${early}`])
    assert.equal(withoutFile.exitCode, 1)
    assert.match(withoutFile.text, /ANCHOR MISMATCH.*--archive/)
    await integrated()
    const withFile = await run(EventsVerify, [`--anchor=${early}`, `--archive=${file}`])
    assert.equal(withFile.exitCode, 0, withFile.text)
    assert.match(withFile.text, new RegExp(`${old.length} events, chained into the store`))

    // A fully archived aggregate goes on from its checkpoint: acknowledging an alert
    // whose events are all in the file appends the next version, chained.
    const [alert] = after.openAlerts
    const before = (
      await db.from('event_store_checkpoints').where('aggregate_id', alert.id).first()
    ).version
    ;(await client.post(`/api/v1/alerts/${alert.id}/acknowledge`).bearerToken(token)).assertStatus(
      200
    )
    await integrated()
    const ack = await db.from('event_store').where('aggregate_id', alert.id).first()
    assert.equal(ack.event_type, 'alert.acknowledged')
    assert.equal(ack.version, before + 1)
    // A raw writer continues it from the checkpoint's version too; the integrator seals it.
    const intentCheckpoint = await db
      .from('event_store_checkpoints')
      .where('aggregate_id', intent.id)
      .first()
    await db.rawQuery(
      `insert into event_store (aggregate_type, aggregate_id, version, event_type, payload, user_id)
       values ('intent', ?, ?, 'intent.updated', ?, ?)`,
      [
        intent.id,
        intentCheckpoint.version + 1,
        JSON.stringify({ userId: user.id, changes: {} }),
        user.id,
      ]
    )
    await integrated()
    await integrated()
    assert.equal((await run(EventsVerify, [])).exitCode, 0)
    await integrated()
    const now = (await client.get('/api/v1/me/state').bearerToken(token)).body().data
    assert.notInclude(
      now.openAlerts.map((a: { id: string }) => a.id),
      alert.id
    )

    const replayed = await run(EventsReplay, ['--into=archive_replay'])
    await db.rawQuery('drop schema archive_replay cascade')
    assert.equal(replayed.exitCode, 0, replayed.text)
    assert.match(replayed.text, /no difference from the live tables/)

    // Archived events still cannot be edited, others still cannot be deleted.
    assert.equal(
      await sqlStateOf('delete from event_store where event_type = ?', [
        'user.preferences_updated',
      ]),
      '23001'
    )
    assert.equal(await sqlStateOf('delete from event_store_checkpoints'), '23001')
    assert.equal(
      await sqlStateOf('update event_store_archives set file_sha256 = ?', ['0'.repeat(64)]),
      '23001'
    )

    // Nothing older left: a second run archives nothing; an existing file is never overwritten.
    await integrated()
    const again = await run(EventsArchive, [
      `--before=${cut.toISOString()}`,
      `--out=${join(dir, 'again.jsonl.gz')}`,
    ])
    assert.match(again.text, /nothing archived/)
    assert.isFalse(existsSync(join(dir, 'again.jsonl.gz')))
    await integrated()
    const clash = await run(EventsArchive, [
      `--before=${new Date().toISOString()}`,
      `--out=${file}`,
    ])
    assert.equal(clash.exitCode, 1)
    assert.match(clash.text, /EEXIST/)
    assert.equal(
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex'),
      sha
    )
    assert.lengthOf(await db.from('event_store_archives'), 1)
  })

  test('an edited archive file is caught: by its digest, and by its blocks if the digest was forged too', async ({
    assert,
    client,
  }) => {
    const { token } = await signIn(client)
    // one block each: the newest block is never archived
    for (const riskProfile of ['aggressive', 'conservative', 'moderate']) {
      ;(
        await client.patch('/api/v1/me').bearerToken(token).json({ preferences: { riskProfile } })
      ).assertStatus(200)
      await integrated()
    }
    await pause()
    const file = join(dir, 'events.jsonl.gz')
    await integrated()
    const archived = await run(EventsArchive, [
      `--before=${new Date().toISOString()}`,
      `--out=${file}`,
    ])
    assert.equal(archived.exitCode, 0, archived.text)

    const lines = gunzipSync(await readFile(file))
      .toString('utf8')
      .split('\n')
    const target = lines.findIndex((l) => l.includes('"conservative"'))
    assert.isAbove(target, 0)
    const position = JSON.parse(lines[target]).position
    lines[target] = lines[target].replace('"conservative"', '"aggressive"')
    const edited = join(dir, 'edited.jsonl.gz')
    const editedBytes = gzipSync(Buffer.from(lines.join('\n')))
    await writeFile(edited, editedBytes)

    await integrated()
    const byDigest = await run(EventsVerify, [`--archive=${edited}`])
    assert.equal(byDigest.exitCode, 1)
    assert.match(byDigest.text, /ARCHIVE .*no archive with SHA-256/)

    // Someone who can also rewrite the archive record: the chain still gives it away.
    await db.rawQuery(
      'alter table event_store_archives disable trigger event_store_archives_no_update_delete'
    )
    await db.rawQuery('update event_store_archives set file_sha256 = ?', [
      createHash('sha256').update(editedBytes).digest('hex'),
    ])
    await db.rawQuery(
      'alter table event_store_archives enable trigger event_store_archives_no_update_delete'
    )
    await integrated()
    const byChain = await run(EventsVerify, [`--archive=${edited}`])
    assert.equal(byChain.exitCode, 1)
    assert.match(
      byChain.text,
      new RegExp(
        `ARCHIVE .*edited.jsonl.gz: block \\d+: the event at position ${position} does not match its sealed leaf`
      )
    )
  })

  test('a bad --before is refused and writes nothing', async ({ assert }) => {
    const file = join(dir, 'x.jsonl.gz')
    for (const before of [
      'yesterday',
      '2026-10-01T00:00:00',
      new Date(Date.now() + 3600_000).toISOString(),
    ]) {
      await integrated()
      const result = await run(EventsArchive, [`--before=${before}`, `--out=${file}`])
      assert.equal(result.exitCode, 1, before)
      assert.isFalse(existsSync(file))
    }
    assert.lengthOf(await db.from('event_store_archives'), 0)
  })
})
