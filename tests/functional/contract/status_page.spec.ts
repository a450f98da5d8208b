import { existsSync } from 'node:fs'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { chromium, type Browser, type Page } from 'playwright-core'
import env from '#start/env'
import DemoSeeder from '#database/seeders/demo_seeder'
import { DEMO_WALLET } from '#database/seeders/demo_data'
import { serviceToken } from '#tests/helpers/auth'
import { truncateAll } from '#tests/helpers/database'
import { IntegratorLoop } from '#services/events/integrator_loop'

/*
 * The newcomer's page, driven in Debian's Chromium (`.ci/run` installs it;
 * CHROMIUM_PATH overrides where it is). Real seeded data, the real API.
 */

// The callbacks of waitForFunction run in the page, where `document` exists.
declare const document: {
  getElementById(id: string): { textContent: string | null } | null
  querySelectorAll(selector: string): { length: number }
}

const base = () => `http://${env.get('HOST', '127.0.0.1')}:${env.get('PORT', 3333)}`

// What this machine's closed network needs: no background calls home, no sandbox as root.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
]

function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']
  const found = candidates.find((path) => path && existsSync(path))
  if (!found) {
    throw new Error(
      "No Chromium: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH"
    )
  }
  return found
}

async function withPage(run: (page: Page, offHost: string[]) => Promise<void>) {
  const browser: Browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: CHROMIUM_ARGS,
  })
  try {
    const page = await browser.newPage()
    // Anything the page asks of another host is refused and remembered: it must work offline.
    const offHost: string[] = []
    await page.route('**/*', (route) => {
      const url = route.request().url()
      if (url.startsWith(base()) || url.startsWith('data:')) return route.continue()
      offHost.push(url)
      return route.abort()
    })
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await run(page, offHost)
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`)
  } finally {
    await browser.close()
  }
}

test.group('Contract | the status page in a browser', (group) => {
  group.each.setup(async () => {
    await truncateAll()
    return () => truncateAll()
  })
  // Live alerts are sealed events: the integrator runs as a worker runs it (docs/adr/0012).
  group.setup(() => {
    const loop = new IntegratorLoop()
    loop.start()
    return () => loop.stop()
  })

  test('signs in with the demo key and renders positions, the 30-day chart, signals and live alerts', async ({
    assert,
    client,
  }) => {
    await new DemoSeeder(db.connection()).run()
    const user = await db.from('users').where('wallet_address', DEMO_WALLET).firstOrFail()
    const perPosition = await db
      .from('positions')
      .where('user_id', user.id)
      .whereNotNull('health_factor')
      .where('snapshot_at', '>', db.raw(`now() - interval '30 days'`))
      .groupBy('protocol', 'chain_id')
      .select('protocol', 'chain_id', db.raw('count(*)::int as n'))
    const activeSignals = await db.from('signals').where('status', 'active').select('id')
    const alerts = await db.from('alerts').where('user_id', user.id).select('id', 'message')

    await withPage(async (page, offHost) => {
      await page.goto(`${base()}/`)
      await page.click('#demo')

      // The chart: one line per position, every snapshot of the last 30 days on it.
      await page.waitForSelector('#hf-chart polyline', { timeout: 20_000 })
      const lines = await page.$$eval('#hf-chart polyline', (nodes) =>
        nodes.map((n) => ({
          series: n.getAttribute('data-series'),
          points: Number(n.getAttribute('data-points')),
          drawn: (n.getAttribute('points') ?? '').split(' ').length,
        }))
      )
      assert.sameDeepMembers(
        lines,
        perPosition.map((p) => ({
          series: `${p.protocol} (chain ${p.chain_id})`,
          points: p.n,
          drawn: p.n,
        }))
      )
      assert.equal(
        await page.getAttribute('#hf-chart line[data-threshold]', 'data-threshold'),
        '1.5'
      )

      // Positions, signals, alerts: what the API holds for this user.
      assert.equal(await page.locator('#positions tbody tr').count(), perPosition.length)
      // beside each position, the 24 h liquidation probability from the demo's 30 days of prices
      const risks = await page.$$eval('#positions tbody td[data-risk]', (cells) =>
        cells.map((c) => [c.getAttribute('data-risk'), c.textContent])
      )
      assert.lengthOf(risks, perPosition.length)
      for (const [value, text] of risks) {
        assert.match(value!, /^(0|1|0\.\d+)$/)
        assert.match(text!, /%$/)
      }
      await page.waitForSelector('#signals tbody tr')
      assert.sameMembers(
        await page.$$eval('#signals tbody tr', (rows) =>
          rows.map((r) => r.getAttribute('data-signal-id'))
        ),
        activeSignals.map((s) => s.id)
      )
      await page.waitForSelector('#alerts li')
      assert.sameMembers(
        await page.$$eval('#alerts li', (items) =>
          items.map((i) => i.getAttribute('data-alert-id'))
        ),
        alerts.map((a) => a.id)
      )
      await page.waitForFunction(() => document.getElementById('live')?.textContent === '(live)')

      // A new alert appears without a reload, over the SSE stream.
      const response = await client
        .post('/api/v1/signals')
        .bearerToken(await serviceToken(['signals:write']))
        .json({
          type: 'depeg',
          asset: 'WETH',
          severity: 'critical',
          data: { note: 'browser check' },
          detectedAt: new Date().toISOString(),
        })
      response.assertStatus(201)
      assert.isAbove(response.body().meta.alertsCreated, 0)
      await page.waitForFunction(
        (count) => document.querySelectorAll('#alerts li').length > count,
        alerts.length,
        { timeout: 10_000 }
      )
      assert.include(await page.locator('#alerts li').first().textContent(), 'critical')

      assert.deepEqual(offHost, [])
    })
  }).timeout(90_000)

  test('/docs renders the reference from this host alone', async ({ assert }) => {
    await withPage(async (page, offHost) => {
      await page.goto(`${base()}/docs`)
      // Scalar renders the document: its title, its tags, the first tag's operations.
      await page
        .getByRole('heading', { name: 'DeFi Assistant API' })
        .first()
        .waitFor({ timeout: 30_000 })
      for (const tag of ['Positions', 'Alerts', 'Intents', 'Events']) {
        await page.getByText(tag, { exact: true }).first().waitFor()
      }
      await page.getByText('The process can serve traffic').first().waitFor()
      assert.deepEqual(offHost, [])
    })
  }).timeout(90_000)
})
