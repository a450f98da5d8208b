/*
 * `pnpm dev:chain` — `pnpm dev` against a local chain that the app syncs live:
 *
 *   1. a Hardhat node on 127.0.0.1:8545 (DEV_CHAIN_PORT) with Multicall3, the real
 *      Aave v3 and a real Comet (tests/helpers/chain: the same fixture as the tests);
 *   2. the demo wallet supplies 10 WETH and borrows 10,000 USDC on each (HF 1.65 on
 *      Aave, 1.7 on Comet; its threshold is 1.5);
 *   3. `pnpm dev` with CHAIN_RPC_URLS / CHAIN_MARKETS pointing at it and a sync every
 *      10 s (CHAIN_SYNC_INTERVAL).
 *
 * In another terminal, `pnpm dev:chain price 1700` moves WETH's price on both markets:
 * within a sync the status page's chart dips and the health-factor alert arrives.
 * Ctrl-C stops everything. The chain is in memory: each start is a fresh one.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { privateKeyToAccount } from 'viem/accounts'
import { DEMO_PRIVATE_KEY } from '../database/seeders/demo_data.js'
import { startChainNode } from '../tests/helpers/chain/node.js'
import { deployLocalMarkets, LocalMarkets } from '../tests/helpers/chain/deploy.js'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const STATE = fileURLToPath(new URL('../tmp/dev-chain.json', import.meta.url))
const PORT = Number(process.env.DEV_CHAIN_PORT ?? 8545)

async function price(value: string | undefined) {
  if (!value || !/^\d+(\.\d+)?$/.test(value)) {
    console.error('usage: pnpm dev:chain price <WETH price in USD>, e.g. pnpm dev:chain price 1700')
    return 1
  }
  let state: { url: string; aave: LocalMarkets['aave']; comet: LocalMarkets['comet'] }
  try {
    state = JSON.parse(readFileSync(STATE, 'utf8'))
  } catch {
    console.error('no local chain is running: start one with `pnpm dev:chain`')
    return 1
  }
  const markets = new LocalMarkets(state.url)
  markets.aave = state.aave
  markets.comet = state.comet
  await markets.setWethPrice(value)
  console.log(`WETH is now $${value} on Aave v3 and Comet; the next sync round shows it`)
  return 0
}

async function serve() {
  const node = await startChainNode({ port: PORT })
  console.log(`local chain 31337 on ${node.url}; deploying Multicall3, Aave v3 and Comet…`)
  const markets = await deployLocalMarkets(node.url)
  const demo = privateKeyToAccount(DEMO_PRIVATE_KEY)
  await markets.openAave(demo, { supplyWeth: '10', borrowUsdc: '10000' })
  await markets.openComet(demo, { supplyWeth: '10', borrowUsdc: '10000' })
  mkdirSync(fileURLToPath(new URL('../tmp/', import.meta.url)), { recursive: true })
  writeFileSync(
    STATE,
    JSON.stringify({ url: node.url, aave: markets.aave, comet: markets.comet }, null, 2)
  )
  console.log(
    `demo wallet ${demo.address}: 10 WETH supplied, 10,000 USDC borrowed on each market.\n` +
      'Move the price from another terminal: pnpm dev:chain price 1700'
  )

  const child = spawn(process.execPath, ['scripts/with-db.js', 'dev', ...process.argv.slice(2)], {
    cwd: ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      CHAIN_RPC_URLS: `31337=${node.url}`,
      CHAIN_MARKETS: `31337:aave_v3=${markets.aave.addressesProvider},compound_v3=${markets.comet.comet}`,
      CHAIN_SYNC_INTERVAL: process.env.CHAIN_SYNC_INTERVAL ?? '10',
    },
  })
  // Ctrl-C reaches the child through the process group; the node goes when it is done
  process.on('SIGINT', () => {})
  process.on('SIGTERM', () => child.kill('SIGINT'))
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)))
  await node.stop()
  return code
}

const [command, ...args] = process.argv.slice(2)
process.exitCode = command === 'price' ? await price(args[0]) : await serve()
