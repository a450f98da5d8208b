import { test } from '@japa/runner'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import app from '@adonisjs/core/services/app'
import ts from 'typescript'
import * as documentedModels from '#app/infrastructure/database/models'
import { AlertModel, PositionModel, SignalModel, UserModel } from '#models'
import { truncateAll } from '#tests/helpers/database'
import { userToken } from '#tests/helpers/auth'

/*
 * The schema document the project was specified by (docs/seed-schema.md, a
 * copy of shared/SEED-SCHEMA.md) promises its readers that its examples work.
 * Each TypeScript block of the four sections is cut out of the document at run
 * time, wrapped in a module under tmp/ (so its `#app/…` imports resolve through
 * package.json as in any file of the project) and run against the real
 * database. Two things are supplied, not changed: the free variable `userId`
 * the query examples use, and real addresses for the document's placeholders
 * `'0x1234...'` and `'0x...'` — which the database rightly refuses as wallets.
 */
const DOC = app.makePath('docs/seed-schema.md')
const WALLET_A = '0x1234000000000000000000000000000000000000'
const WALLET_B = '0xabcd000000000000000000000000000000000000'

function sectionBlock(section: string): string {
  const text = readFileSync(DOC, 'utf8')
  const start = text.search(new RegExp(`^#{2,3} ${section}\n`, 'm'))
  if (start === -1) throw new Error(`no section "${section}" in the document`)
  const match = /```typescript\n([\s\S]*?)```/.exec(text.slice(start))
  if (!match) throw new Error(`no TypeScript block in "${section}"`)
  return match[1]
}

function importsOf(section: string): string[] {
  return sectionBlock(section)
    .split('\n')
    .filter((line) => line.startsWith('import '))
}

/** Writes the block as a module whose default export runs it and returns what it declared. */
function moduleFor(section: string): string {
  const lines = sectionBlock(section)
    .replaceAll(`'0x1234...'`, `'${WALLET_A}'`)
    .replaceAll(`'0x...'`, `'${WALLET_B}'`)
    .split('\n')
  // The later snippets read as a continuation of the first one (they use its
  // imports without repeating them): they get its import lines too.
  const shared = section === 'Type Safety' ? [] : importsOf('Using Lucid Models')
  const imports = [...new Set([...shared, ...lines.filter((line) => line.startsWith('import '))])]
  const body = lines.filter((line) => !line.startsWith('import '))
  const declared = body.flatMap((line) => /^(?:const|let) (\w+)/.exec(line)?.[1] ?? [])
  const source = [
    `import { DateTime } from 'luxon'`,
    ...imports,
    `export default async function (userId: string, console: { log: (...args: unknown[]) => void }) {`,
    `  void userId, console, DateTime`,
    ...body.map((line) => `  ${line}`),
    `  return { ${declared.join(', ')} }`,
    `}`,
    '',
  ].join('\n')
  const folder = app.makePath('tmp/seed-schema-examples')
  mkdirSync(folder, { recursive: true })
  const file = join(folder, `${section.toLowerCase().replaceAll(' ', '_')}.ts`)
  writeFileSync(file, source)
  return file
}

async function runSection(section: string, userId = '') {
  const logged: string[] = []
  const { default: example } = await import(
    `${pathToFileURL(moduleFor(section)).href}?t=${Date.now()}`
  )
  const result = await example(userId, { log: (...args: unknown[]) => logged.push(args.join(' ')) })
  return { result: result as Record<string, any>, logged }
}

/** TypeScript's verdict on one file under the project's own compiler options. */
function typeErrors(file: string): string[] {
  const configPath = app.makePath('tsconfig.json')
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile)
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, app.makePath())
  const program = ts.createProgram([file], { ...parsed.options, noEmit: true })
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === file)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
}

test.group('Schema document | its examples run as written', (group) => {
  group.each.setup(() => truncateAll())

  test('every model the document names resolves from its import path', ({ assert }) => {
    const tables = Object.fromEntries(
      (
        [
          'UserModel',
          'PositionModel',
          'SignalModel',
          'AlertModel',
          'IntentModel',
          'EventStoreModel',
        ] as const
      ).map((name) => [name, documentedModels[name].table])
    )
    assert.deepEqual(tables, {
      UserModel: 'users',
      PositionModel: 'positions',
      SignalModel: 'signals',
      AlertModel: 'alerts',
      IntentModel: 'intents',
      EventStoreModel: 'event_store',
    })
  })

  test('the copy in docs/ is the document in shared/', ({ assert }) => {
    const shared = app.makePath('../shared/SEED-SCHEMA.md')
    if (!existsSync(shared)) return assert.isTrue(existsSync(DOC))
    assert.equal(readFileSync(DOC, 'utf8'), readFileSync(shared, 'utf8'))
  })

  test('"Using Lucid Models": the user and the position are stored, and read back through the API', async ({
    assert,
    client,
  }) => {
    const { result } = await runSection('Using Lucid Models')
    const user = await UserModel.findByOrFail('walletAddress', WALLET_A)
    assert.equal(result.user.id, user.id)
    assert.deepEqual(user.preferences, {
      riskProfile: 'moderate',
      alertThresholds: { healthFactor: 1.5 },
      notificationChannels: ['telegram', 'in_app'],
    })

    const stored = await PositionModel.findOrFail(result.position.id)
    assert.equal(stored.protocol, 'aave_v3')
    assert.equal(stored.healthFactor, '2.5')
    assert.deepEqual(stored.collateral, [{ symbol: 'ETH', amount: '1.5', valueUsd: '3000' }])
    assert.deepEqual(stored.debt, [{ symbol: 'USDC', amount: '1500', valueUsd: '1500' }])
    assert.deepEqual(stored.metadata, { ltv: '0.5', liquidationThreshold: '0.825' })

    const response = await client.get('/api/v1/positions').bearerToken(await userToken(user))
    response.assertStatus(200)
    const [position] = response.body().data
    assert.equal(position.protocol, 'aave_v3')
    assert.equal(position.healthFactor, '2.5')
    assert.equal(position.collateral[0].valueUsd, '3000')
  })

  test('"Querying Data": the latest position, the active signals, the pending alerts with their signal', async ({
    assert,
  }) => {
    const { result: created } = await runSection('Using Lucid Models')
    const userId: string = created.user.id
    const signal = await SignalModel.create({
      type: 'whale_movement',
      asset: 'AAVE',
      severity: 'high',
      data: {},
      status: 'active',
      detectedAt: created.position.snapshotAt,
    })
    await SignalModel.create({
      type: 'depeg',
      asset: 'AAVE',
      severity: 'low',
      data: {},
      status: 'expired',
      detectedAt: created.position.snapshotAt,
    })
    const alert = await AlertModel.create({
      userId,
      signalId: signal.id,
      type: 'signal_detected',
      severity: 'high',
      channel: 'telegram',
      message: 'AAVE whale movement',
      metadata: {},
      status: 'pending',
    })

    const { result } = await runSection('Querying Data', userId)
    assert.equal(result.latestPosition.id, created.position.id)
    assert.deepEqual(
      result.activeSignals.map((s: SignalModel) => s.id),
      [signal.id]
    )
    assert.deepEqual(
      result.pendingAlerts.map((a: AlertModel) => [a.id, a.signal.id]),
      [[alert.id, signal.id]]
    )
  })

  test('"Using Relations": the user with their positions preloaded', async ({ assert }) => {
    const { result: created } = await runSection('Using Lucid Models')
    const { result, logged } = await runSection('Using Relations', created.user.id)
    assert.equal(result.user.id, created.user.id)
    assert.deepEqual(logged, ['aave_v3 2.5'])
  })

  test('"Type Safety": runs, and the compiler checks the preferences it is given', async ({
    assert,
  }) => {
    const { result } = await runSection('Type Safety')
    const user = await UserModel.findOrFail(result.user.id)
    assert.equal(user.walletAddress, WALLET_B)
    assert.deepEqual(user.preferences, { riskProfile: 'moderate' })

    const file = moduleFor('Type Safety')
    assert.deepEqual(typeErrors(file), [])
    // …and the check is real: a risk profile the type does not allow is an error
    writeFileSync(file, readFileSync(file, 'utf8').replace("'moderate'", "'reckless'"))
    const errors = typeErrors(file)
    assert.isNotEmpty(errors)
    assert.match(errors.join('\n'), /"reckless"/)
  }).timeout(120_000)
})
