import { readFile } from 'node:fs/promises'
import app from '@adonisjs/core/services/app'
import type { HttpContext } from '@adonisjs/core/http'
import { privateKeyToAccount } from 'viem/accounts'
import { createSiweMessage } from 'viem/siwe'
import siwe from '#config/siwe'
import { issueNonce } from '#services/auth/nonces'
import { signInWithEthereum } from '#services/auth/sign_in_with_ethereum'
import { userToJson } from '#transformers/user_transformer'
import { DEMO_PRIVATE_KEY } from '#database/seeders/demo_data'

/**
 * The newcomer's view of a running system. Registered outside production only
 * (start/routes.ts): the demo key is public, so a production deployment must
 * never offer a sign-in with it.
 */
export default class DevController {
  async statusPage({ response }: HttpContext) {
    const html = await readFile(app.makePath('resources/status_page.html'), 'utf8')
    response.header('Content-Type', 'text/html; charset=utf-8')
    response.header('Cache-Control', 'no-store')
    response.header(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"
    )
    return response.send(html)
  }

  /** The same sign-in a wallet does, signed here with the demo wallet's well-known key. */
  async demoSession({ response }: HttpContext) {
    const account = privateKeyToAccount(DEMO_PRIVATE_KEY)
    const { nonce } = await issueNonce()
    const message = createSiweMessage({
      address: account.address,
      chainId: siwe.chainIds[0],
      domain: siwe.domain,
      uri: siwe.uri,
      nonce,
      version: '1',
      issuedAt: new Date(),
      statement: 'Sign in to DeFi Assistant (demo account)',
    })
    const result = await signInWithEthereum(message, await account.signMessage({ message }))
    response.header('Cache-Control', 'no-store')
    return {
      token: {
        type: result.token.type,
        value: result.token.value,
        expiresAt: result.token.expiresAt?.toISOString() ?? null,
      },
      user: userToJson(result.user),
    }
  }
}
