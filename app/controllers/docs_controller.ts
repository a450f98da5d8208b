import { readFile } from 'node:fs/promises'
import type { HttpContext } from '@adonisjs/core/http'
import { openApiDocument } from '#openapi/document'

// Scalar's self-contained browser build, served by us: /docs works offline.
const scalarScript = new URL(
  './browser/standalone.js',
  import.meta.resolve('@scalar/api-reference')
)

let script: Promise<Buffer> | undefined

const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>DeFi Assistant API — reference</title>
  </head>
  <body>
    <div id="app"></div>
    <script src="/docs/assets/scalar.js"></script>
    <script>
      // No fonts, telemetry, AI agent or proxy from Scalar's servers: nothing leaves this host.
      Scalar.createApiReference('#app', {
        url: '/openapi.json',
        withDefaultFonts: false,
        telemetry: false,
        agent: { disabled: true },
        hideClientButton: true,
        proxyUrl: '',
      })
    </script>
  </body>
</html>
`

export default class DocsController {
  openapi({ response }: HttpContext) {
    response.header('Cache-Control', 'no-cache')
    return response.json(openApiDocument())
  }

  docs({ response }: HttpContext) {
    response.header('Content-Type', 'text/html; charset=utf-8')
    response.header(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:"
    )
    return response.send(page)
  }

  async script({ response }: HttpContext) {
    script ??= readFile(scalarScript)
    response.header('Content-Type', 'text/javascript; charset=utf-8')
    response.header('Cache-Control', 'public, max-age=86400')
    return response.send(await script)
  }
}
