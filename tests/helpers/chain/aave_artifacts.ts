import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Abi, Address, Hex } from 'viem'

const require = createRequire(import.meta.url)
const PACKAGES = {
  core: dirname(require.resolve('@aave/core-v3/package.json')),
  periphery: dirname(require.resolve('@aave/periphery-v3/package.json')),
}

/** Where each contract's Hardhat artifact sits in the npm packages. */
const PATHS = {
  PoolAddressesProvider: ['core', 'protocol/configuration/PoolAddressesProvider.sol'],
  ACLManager: ['core', 'protocol/configuration/ACLManager.sol'],
  SupplyLogic: ['core', 'protocol/libraries/logic/SupplyLogic.sol'],
  BorrowLogic: ['core', 'protocol/libraries/logic/BorrowLogic.sol'],
  LiquidationLogic: ['core', 'protocol/libraries/logic/LiquidationLogic.sol'],
  EModeLogic: ['core', 'protocol/libraries/logic/EModeLogic.sol'],
  BridgeLogic: ['core', 'protocol/libraries/logic/BridgeLogic.sol'],
  PoolLogic: ['core', 'protocol/libraries/logic/PoolLogic.sol'],
  FlashLoanLogic: ['core', 'protocol/libraries/logic/FlashLoanLogic.sol'],
  ConfiguratorLogic: ['core', 'protocol/libraries/logic/ConfiguratorLogic.sol'],
  Pool: ['core', 'protocol/pool/Pool.sol'],
  PoolConfigurator: ['core', 'protocol/pool/PoolConfigurator.sol'],
  DefaultReserveInterestRateStrategy: [
    'core',
    'protocol/pool/DefaultReserveInterestRateStrategy.sol',
  ],
  AToken: ['core', 'protocol/tokenization/AToken.sol'],
  StableDebtToken: ['core', 'protocol/tokenization/StableDebtToken.sol'],
  VariableDebtToken: ['core', 'protocol/tokenization/VariableDebtToken.sol'],
  AaveOracle: ['core', 'misc/AaveOracle.sol'],
  AaveProtocolDataProvider: ['core', 'misc/AaveProtocolDataProvider.sol'],
  MockAggregator: ['core', 'mocks/oracle/CLAggregators/MockAggregator.sol'],
  MintableERC20: ['core', 'mocks/tokens/MintableERC20.sol'],
  UiPoolDataProviderV3: ['periphery', 'misc/UiPoolDataProviderV3.sol'],
} as const

export type AaveContract = keyof typeof PATHS

interface RawArtifact {
  abi: Abi
  bytecode: Hex
  linkReferences: Record<string, Record<string, { start: number; length: number }[]>>
}

export function aaveArtifact(name: AaveContract): RawArtifact {
  const [pkg, path] = PATHS[name]
  return JSON.parse(
    readFileSync(join(PACKAGES[pkg], 'artifacts/contracts', path, `${name}.json`), 'utf8')
  ) as RawArtifact
}

/**
 * Fills the `__$…$__` library placeholders at the offsets the artifact lists.
 * A placeholder left unfilled would deploy code that reverts on first use, so
 * a library this does not know is an error here.
 */
export function linkBytecode(artifact: RawArtifact, libraries: Record<string, Address>): Hex {
  let code = artifact.bytecode.slice(2)
  for (const byName of Object.values(artifact.linkReferences)) {
    for (const [name, sites] of Object.entries(byName)) {
      const address = libraries[name]
      if (!address) throw new Error(`library ${name} is not deployed`)
      for (const { start, length } of sites) {
        code =
          code.slice(0, start * 2) +
          address.slice(2).toLowerCase() +
          code.slice((start + length) * 2)
      }
    }
  }
  if (code.includes('__$')) throw new Error('unlinked library placeholders remain')
  return `0x${code}`
}
