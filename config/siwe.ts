import env from '#start/env'

/** What a Sign-In with Ethereum message must name to be accepted here. */
const siwe = {
  domain: env.get('SIWE_DOMAIN', 'localhost:3333'),
  uri: env.get('SIWE_URI', 'http://localhost:3333'),
  chainIds: (env.get('SIWE_CHAIN_IDS') ?? '1')
    .split(',')
    .map((id) => Number.parseInt(id.trim(), 10))
    .filter((id) => Number.isInteger(id) && id > 0),
  rpcUrl: env.get('SIWE_RPC_URL'),
  nonceTtlMs: 10 * 60 * 1000,
  maxMessageAgeMs: 10 * 60 * 1000,
}

export default siwe
