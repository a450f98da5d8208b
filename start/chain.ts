/*
 * Chain sync at boot (API and workers): every configured endpoint is asked
 * its eth_chainId now, so one answering for another chain is refused with a
 * log line at start rather than at the first round, and the markets are read
 * (intents on CHAIN_MARKETS chains need them). In the background: an
 * unreachable endpoint must not hold the boot (it is asked again each round).
 */
const command = process.env.ACE_COMMAND
if (command === undefined || command === 'queue:work' || command === 'serve') {
  const { default: chainSync } = await import('#services/chain/chain_sync')
  if (chainSync.chains().length > 0) {
    chainSync.warmUp().catch(() => {})
  }
}
