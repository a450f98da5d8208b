import type pg from 'pg'
import {
  encodeFunctionData,
  getAddress,
  maxUint256,
  parseAbi,
  parseUnits,
  type Address,
} from 'viem'
import type { BenchResult } from './run.js'

/**
 * `pnpm bench sync`: 10,000 wallets (BENCH_SYNC_WALLETS) with Aave v3 positions on a
 * local Hardhat node (the real contracts, tests/helpers/chain), synced by the app over
 * HTTP JSON-RPC. Reports one full round's eth_call count (target ≤ 1 per 100 wallets)
 * and wall time against a bare viem multicall of the same reads at the same block, in
 * the same run, interleaved (ratio = bare ÷ sync, target ≥ 0.7 when nothing changed).
 * Then WETH's price moves so every position changed, and that round — which also reads
 * every balance and ingests 10,000 snapshots with their events and alert rules — is
 * reported against the bare multicall of its reads (a figure, no target).
 * Then several holders per wallet (issue 26, docs/adr/0014): each owner watches the next
 * BENCH_SYNC_WATCHERS (3) wallets, so every wallet has its owner and that many watchers
 * and the distinct wallets read stay the same. A round reads each wallet once: its
 * eth_calls must not grow (part of the target); the quiet round against the bare
 * multicall again, and the round where every position changed — now written to every
 * holder — against the one-holder round above (figures).
 */
const MULTICALL3_ABI = parseAbi([
  'struct Call3 { address target; bool allowFailure; bytes callData; }',
  'struct Result { bool success; bytes returnData; }',
  'function aggregate3(Call3[] calls) payable returns (Result[] returnData)',
])
const SUPPLY_ABI = parseAbi([
  'function supply(address asset, uint256 amount, address onBehalfOf, uint16 referralCode)',
])
const APPROVE_ABI = parseAbi(['function approve(address spender, uint256 amount) returns (bool)'])

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

export default {
  name: 'sync',
  async run(pool: pg.Pool): Promise<BenchResult> {
    const n = Number(process.env.BENCH_SYNC_WALLETS ?? 10_000)
    const { startChainNode } = await import('#tests/helpers/chain/node')
    const { deployLocalMarkets, ERC20_ABI, MULTICALL3 } =
      await import('#tests/helpers/chain/deploy')
    const { default: chainSync } = await import('#services/chain/chain_sync')
    const { readAaveAccounts, readAaveBalances, readAavePrices, readAaveLayout, latestBlock } =
      await import('#infrastructure/chain/readers')
    const { ChainEndpoints } = await import('#infrastructure/chain/client')

    const node = await startChainNode()
    try {
      let t = performance.now()
      const markets = await deployLocalMarkets(node.url)
      const { pool: aavePool, weth } = markets.aave
      // Positions opened in bulk: Multicall3 holds the WETH and supplies on behalf
      // of each wallet (a supply onBehalfOf needs no key of the wallet's).
      const wallets: Address[] = Array.from({ length: n }, (_, i) =>
        getAddress(`0x${(0xb0000000 + i).toString(16).padStart(40, '0')}`)
      )
      const each = parseUnits('1', 18)
      await markets.send(weth, ERC20_ABI, 'mint', [MULTICALL3, each * BigInt(n)])
      await markets.send(MULTICALL3, MULTICALL3_ABI, 'aggregate3', [
        [
          {
            target: weth,
            allowFailure: false,
            callData: encodeFunctionData({
              abi: APPROVE_ABI,
              functionName: 'approve',
              args: [aavePool, maxUint256],
            }),
          },
        ],
      ])
      // Osaka caps a transaction at 2^24 gas: ~50 first supplies fit in one
      const perTx = 50
      for (let i = 0; i < n; i += perTx) {
        await markets.send(MULTICALL3, MULTICALL3_ABI, 'aggregate3', [
          wallets.slice(i, i + perTx).map((wallet) => ({
            target: aavePool,
            allowFailure: false,
            callData: encodeFunctionData({
              abi: SUPPLY_ABI,
              functionName: 'supply',
              args: [weth, each, wallet, 0],
            }),
          })),
        ])
      }
      console.log(
        `sync: chain with ${n} Aave positions ready in ${((performance.now() - t) / 1000).toFixed(1)} s`
      )

      await pool.query(
        `delete from users where wallet_address like '0x00000000000000000000000000000000b%'`
      )
      await pool.query(
        `insert into users (wallet_address) select lower(w) from unnest($1::text[]) w
         on conflict (wallet_address) do nothing`,
        [wallets]
      )

      const settings = {
        rpcUrls: new Map([[31337, [node.url]]]),
        markets: new Map([[31337, { aave_v3: markets.aave.addressesProvider }]]),
      }
      chainSync.configure(settings)
      // the same reads without the app: its own client (counted the same way), no DB
      const bare = new ChainEndpoints(31337, [node.url])
      const bareClient = await bare.client()
      const layout = await readAaveLayout(
        bareClient,
        markets.aave.addressesProvider,
        await latestBlock(bareClient)
      )
      const bareProbe = async () => {
        const block = await latestBlock(bareClient)
        const market = await readAavePrices(bareClient, layout, block)
        return {
          block,
          market,
          accounts: await readAaveAccounts(bareClient, market.pool, wallets, block),
        }
      }

      t = performance.now()
      const first = await chainSync.syncChain(31337)
      console.log(
        `sync: first round wrote ${JSON.stringify(first.written)} in ${((performance.now() - t) / 1000).toFixed(1)} s`
      )

      // nothing changed: five interleaved pairs, alternating which goes first
      const quiet: number[] = []
      const bareQuiet: number[] = []
      let quietCalls = 0
      // every quiet round's: the fewest is one without a layout re-read (LAYOUT_TTL_MS)
      const quietCallCounts: number[] = []
      const appRound = async () => {
        t = performance.now()
        const round = await chainSync.syncChain(31337)
        quiet.push(performance.now() - t)
        quietCalls = round.ethCalls
        quietCallCounts.push(round.ethCalls)
        const written = Object.values(round.written).reduce((a, b) => a + b, 0)
        if (written !== 0) throw new Error(`a quiet round wrote ${written} snapshots`)
      }
      const bareRound = async () => {
        t = performance.now()
        await bareProbe()
        bareQuiet.push(performance.now() - t)
      }
      for (let i = 0; i < 5; i++) {
        if (i % 2 === 0) {
          await bareRound()
          await appRound()
        } else {
          await appRound()
          await bareRound()
        }
      }

      // every position changed: WETH moves, every account is re-read in full and ingested
      await markets.setWethPrice('1900')
      const bareCalls0 = bare.ethCalls
      t = performance.now()
      {
        const { block, market, accounts } = await bareProbe()
        await readAaveBalances(
          bareClient,
          market,
          wallets.map((wallet, i) => ({ wallet, configuration: accounts[i].userConfiguration })),
          block
        )
      }
      const bareBusy = performance.now() - t
      const bareBusyCalls = bare.ethCalls - bareCalls0
      t = performance.now()
      const busy = await chainSync.syncChain(31337)
      const busyMs = performance.now() - t

      const quietMs = median(quiet)
      const bareQuietMs = median(bareQuiet)
      const ratio = bareQuietMs / quietMs
      const perHundred = (quietCalls / n) * 100
      console.log(
        `sync: every position changed — app ${(busyMs / 1000).toFixed(2)} s (${busy.ethCalls} eth_calls, wrote ${JSON.stringify(busy.written)}), ` +
          `bare multicall of its reads ${(bareBusy / 1000).toFixed(2)} s (${bareBusyCalls} eth_calls), ratio ${(bareBusy / busyMs).toFixed(2)}`
      )

      // Several holders per wallet: owner i watches wallets i+1 … i+k (mod n).
      const k = Number(process.env.BENCH_SYNC_WATCHERS ?? 3)
      let heldCallsSame = true
      if (k > 0) {
        await pool.query(
          `with owners as (
             select id, wallet_address, (row_number() over (order by wallet_address) - 1)::int as i
               from users where wallet_address = any($1::text[])
           )
           insert into user_wallets (user_id, address, kind)
           select o.id, t.wallet_address, 'watched'
             from owners o cross join generate_series(1, $2::int) j
             join owners t on t.i = (o.i + j) % $3::int
           on conflict do nothing`,
          [wallets.map((w) => w.toLowerCase()), k, n]
        )
        // the watchers have no heads yet: every position is due for them
        t = performance.now()
        const joined = await chainSync.syncChain(31337)
        console.log(
          `sync: ${k} watchers added to every wallet — the next round wrote ${JSON.stringify(joined.written)} ` +
            `(× ${k + 1} holders) in ${((performance.now() - t) / 1000).toFixed(1)} s, ${joined.wallets} wallets read`
        )
        quiet.length = 0
        bareQuiet.length = 0
        const quietCallsAlone = Math.min(...quietCallCounts)
        quietCallCounts.length = 0
        for (let i = 0; i < 5; i++) {
          if (i % 2 === 0) {
            await bareRound()
            await appRound()
          } else {
            await appRound()
            await bareRound()
          }
        }
        const quietCallsHeld = Math.min(...quietCallCounts)
        heldCallsSame = quietCallsHeld === quietCallsAlone
        await markets.setWethPrice('1800')
        t = performance.now()
        const heldBusy = await chainSync.syncChain(31337)
        const heldBusyMs = performance.now() - t
        const heldQuietMs = median(quiet)
        const heldBareMs = median(bareQuiet)
        console.log(
          `sync: ${k + 1} holders per wallet, nothing changed — ${quietCallsHeld} eth_calls (${quietCallsAlone} with one holder), ` +
            `app ${heldQuietMs.toFixed(0)} ms vs bare ${heldBareMs.toFixed(0)} ms (medians of 5), ratio ${(heldBareMs / heldQuietMs).toFixed(2)} (one holder: ${ratio.toFixed(2)})`
        )
        console.log(
          `sync: ${k + 1} holders per wallet, every position changed — app ${(heldBusyMs / 1000).toFixed(2)} s ` +
            `(${heldBusy.ethCalls} eth_calls, ${busy.ethCalls} with one holder; ${n * (k + 1)} snapshot rows), ` +
            `one holder ${(busyMs / 1000).toFixed(2)} s: ratio ${(busyMs / heldBusyMs).toFixed(2)}; ` +
            `bare multicall of the reads ${(bareBusy / 1000).toFixed(2)} s, ratio ${(bareBusy / heldBusyMs).toFixed(2)}`
        )
      }
      return {
        metric: `one quiet round over ${n} wallets: ${quietCalls} eth_calls (${perHundred.toFixed(2)} per 100 wallets), app ${quietMs.toFixed(0)} ms vs bare viem multicall ${bareQuietMs.toFixed(0)} ms (medians of 5)`,
        api: Number(quietMs.toFixed(0)),
        baseline: Number(bareQuietMs.toFixed(0)),
        baselineName: 'bare viem multicall of the same reads, ms',
        ratio,
        target: '≥ 0.70, ≤ 1 eth_call per 100 wallets, the same eth_calls with several holders',
        pass: ratio >= 0.7 && perHundred <= 1 && heldCallsSame,
      }
    } finally {
      await node.stop()
    }
  },
}
