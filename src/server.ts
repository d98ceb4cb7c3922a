// The process: configuration, listen, signals, graceful shutdown. The service itself is buildApp().
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { DataDirInUseError } from './db/pglite.js'
import { MigrationError } from './db/migrate.js'
import { createMetricsServer } from './metrics-server.js'

async function main(): Promise<void> {
  let config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`cni-advisor: bad configuration: ${err.message}`)
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

  // SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close the catalog listener and the
  // database, exit 0; a second signal or the delay running out ends the process at once.
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    // A keep-alive connection whose last answer ends during shutdown stays open until the client drops
    // it, which holds server.close() (and so the database close) past the grace delay: exit 1, lock
    // left behind. Close each connection as soon as it has no request in flight.
    const closeIdle = setInterval(() => app.server.closeIdleConnections(), 100)
    closeIdle.unref()
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
