import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Abi, Hex } from 'viem'

const SOURCES = fileURLToPath(new URL('../../fixtures/comet/contracts', import.meta.url))
const CACHE = fileURLToPath(new URL('../../../tmp/chain-artifacts', import.meta.url))

/** Upstream's settings (SOURCE.md): Comet does not fit EIP-170 without viaIR and runs 1. */
const SETTINGS = {
  optimizer: { enabled: true, runs: 1 },
  viaIR: true,
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
}

export interface Artifact {
  abi: Abi
  bytecode: Hex
}

export type CometArtifacts = Record<
  'Comet' | 'CometExt' | 'FaucetToken' | 'SimplePriceFeed',
  Artifact
>

function readSources() {
  const sources: Record<string, { content: string }> = {}
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith('.sol'))
        sources[relative(SOURCES, path)] = { content: readFileSync(path, 'utf8') }
    }
  }
  walk(SOURCES)
  return sources
}

/**
 * Comet compiled by solc-js from the vendored sources. Compiling takes about a
 * minute here (viaIR in WebAssembly), so the result is cached in the
 * git-ignored tmp/chain-artifacts under a hash of the compiler, the settings
 * and every source (ADR 0010): a changed source or compiler rebuilds it.
 */
export function cometArtifacts(): CometArtifacts {
  const require = createRequire(import.meta.url)
  const solcPackage = require('solc/package.json') as { version: string }
  const sources = readSources()
  const key = createHash('sha256')
    .update(JSON.stringify({ solc: solcPackage.version, settings: SETTINGS, sources }))
    .digest('hex')
    .slice(0, 16)
  const file = join(CACHE, `comet-${key}.json`)
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as CometArtifacts
  } catch {
    // not built yet for these sources
  }

  const solc = require('solc') as { compile(input: string): string }
  const output = JSON.parse(
    solc.compile(JSON.stringify({ language: 'Solidity', sources, settings: SETTINGS }))
  ) as {
    errors?: { severity: string; formattedMessage: string }[]
    contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>
  }
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join('\n'))
  const pick = (path: string, name: string): Artifact => {
    const contract = output.contracts[path][name]
    return { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` }
  }
  const artifacts: CometArtifacts = {
    Comet: pick('Comet.sol', 'Comet'),
    CometExt: pick('CometExt.sol', 'CometExt'),
    FaucetToken: pick('test/FaucetToken.sol', 'FaucetToken'),
    SimplePriceFeed: pick('test/SimplePriceFeed.sol', 'SimplePriceFeed'),
  }
  mkdirSync(CACHE, { recursive: true })
  // renamed into place: a concurrent run never reads half a file
  const partial = `${file}.${process.pid}.partial`
  writeFileSync(partial, JSON.stringify(artifacts))
  renameSync(partial, file)
  return artifacts
}
