// The cross-cutting plugins declare their dependencies, so fastify refuses an app that registers them
// in the wrong order instead of serving 404s without their headers and rate limit.
import t from 'tap'
import Fastify from 'fastify'
import { errorsPlugin, metricsPlugin } from '../../src/http/plugins.js'
import { securityPlugin } from '../../src/http/security.js'

t.test('a plugin registered before what it needs stops the app at start-up, naming the dependency', async (t) => {
  for (const [plugin, missing] of [
    [securityPlugin, 'cni-context'],
    [metricsPlugin, 'cni-context'],
    [errorsPlugin, 'cni-security'],
  ] as const) {
    const app = Fastify({ logger: false })
    app.register(plugin)
    await t.rejects(async () => app.ready(), new RegExp(`dependency '${missing}'`), `${missing} must come first`)
    await app.close().catch(() => {})
  }
})
