// The process: configuration, listen, signals, graceful shutdown. The service itself is buildApp().
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { DataDirInUseError } from './db/pglite.js'
import { MigrationError } from './db/migrate.js'
import { createMetricsServer } from './metrics-server.js'

/** How long shutdown keeps open connections so that their next request is answered (with Connection: close). */
const DRAIN_LINGER_MS = 1000

async function main(): Promise<void> {
  let config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      // Every problem at once, one a line: one restart fixes them all.
      const n = err.problems.length
      console.error(`cni-advisor: bad configuration (${n} problem${n === 1 ? '' : 's'}):\n${err.problems.map((p) => `  - ${p}`).join('\n')}`)
      process.exit(2)
    }
    throw err
  }
  let app
  try {
    app = await buildApp(config)
  } catch (err) {
    if (err instanceof MigrationError || err instanceof DataDirInUseError) {
      console.error(`cni-advisor: cannot start: ${err.message}`)
      process.exit(1)
    }
    throw err
  }
  app.server.headersTimeout = 10_000

  // METRICS=<port>: the same registry on a separate small listener, away from the public port.
  const metricsServer = typeof config.metrics === 'number' && app.metrics ? createMetricsServer(app.metrics) : null

  // Shutdown answers every request it has received before it closes a connection.
  //
  // fastify.close() marks the app closing. It runs the preClose hooks, then calls server.close(), which
  // stops accepting and, on Node ≥ 19, at once closes every connection with no request in progress
  // (node_modules/fastify/fastify.js, the onClose registered at preReady; Node's http
  // Server.close/closeIdleConnections). "No request in progress" means no request that Node has
  // parsed yet. A request that has fully arrived in the socket's buffer but has not been read yet
  // looks the same, and destroying a socket with unread data sends a TCP reset: under load, every
  // keep-alive client lost the request it had just sent. So, in order:
  // 1. closing: from the moment close() starts, each request routed is answered as usual, with
  //    `Connection: close` (return503OnClosing: false in app.ts), so its client stops using the connection;
  // 2. preClose lingers up to DRAIN_LINGER_MS while connections remain, so that clients of open
  //    keep-alive connections (kube-proxy keeps established flows to a terminating pod) get that
  //    answer instead of a reset; it ends in the check phase, right after a poll phase has read what
  //    had arrived, so the idle connections server.close() destroys have nothing unread;
  // 3. a connection whose answer was already under way without `Connection: close` is closed as soon as
  //    it is idle (closeIdleConnections, again after a poll phase), not left to the client, which
  //    would hold server.close() (and so the database close) past the grace delay.
  // A request sent on an idle connection just as it closes can still meet the close: HTTP/1.1 leaves
  // retrying it to the client (RFC 9112 §9.3.1). The preStop pause (deploy/) keeps new traffic away.
  const afterPoll = () => new Promise<void>((resolve) => setImmediate(resolve))
  const connections = () => new Promise<number>((resolve) => app.server.getConnections((err, n) => resolve(err ? 0 : n)))
  let closeIdle: NodeJS.Timeout | undefined
  app.addHook('preClose', async () => {
    const until = Date.now() + DRAIN_LINGER_MS
    while (Date.now() < until && (await connections()) > 0) await new Promise((resolve) => setTimeout(resolve, 50))
    closeIdle = setInterval(() => setImmediate(() => app.server.closeIdleConnections()), 100)
    closeIdle.unref()
    await afterPoll()
  })

  // SIGTERM/SIGINT: as above, then close the catalog listener and the database, exit 0; a second signal
  // or the delay running out ends the process at once.
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    try {
      await metricsServer?.close()
      await app.close()
    } finally {
      clearInterval(closeIdle)
    }
  })

  await app.listen({ port: config.port, host: config.host })
  if (metricsServer && typeof config.metrics === 'number') {
    const addr = await metricsServer.listen(config.metrics, config.host)
    app.log.info({ port: addr.port, host: addr.address }, 'metrics listening at /metrics')
  }
  if (!config.databaseUrl) app.log.info({ dataDir: config.dataDir }, 'using the embedded PostgreSQL (PGlite); set DATABASE_URL for a server')
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
