// The local EVM node the chain tests, `pnpm dev:chain` and `pnpm bench sync` run
// (`hardhat node --config tests/helpers/chain/hardhat.config.js --chain-id N`).
// Nothing is compiled by Hardhat: contracts come from npm artifacts and solc-js.
// `node` is the network Hardhat 3's node task serves.
export default {
  networks: {
    node: {
      type: 'edr-simulated',
      chainType: 'l1',
      chainId: 31337,
      // the 10,000-wallet bench opens positions in large batched transactions
      blockGasLimit: 1_000_000_000,
    },
  },
}
