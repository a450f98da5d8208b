// The local EVM node the chain tests, `pnpm dev:chain` and `pnpm bench sync` run
// (`hardhat node --config tests/helpers/chain/hardhat.config.js`). Nothing is
// compiled by Hardhat: contracts come from npm artifacts and solc-js.
const chainId = Number(process.env.HARDHAT_CHAIN_ID ?? 31337)

export default {
  networks: {
    default: {
      type: 'edr-simulated',
      chainType: 'l1',
      chainId,
      // Pool.initReserves and the 10,000-wallet bench send large transactions.
      blockGasLimit: 1_000_000_000,
      allowUnlimitedContractSize: true,
    },
  },
}
