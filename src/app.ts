import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyInstance } from 'fastify'
import { randomUUID } from 'node:crypto'
import { AnswerPipeline } from './answers/pipeline.js'
import { readSeed, ensureSeeded } from './catalog/seed.js'
import { CatalogStore } from './catalog/store.js'
import type { Config } from './config.js'
import type { Db } from './db/db.js'
import { migrate, readMigrations } from './db/migrate.js'
import { loggerOptions } from './logging.js'
import { openDb } from './db/open.js'
import type { AppContext } from './http/context.js'
import { DOC_ONLY_SCHEMAS, swaggerOptions } from './http/docs.js'
import { buildExamples } from './http/examples.js'
import { frameworkError, MAX_PARAM_LENGTH } from './http/errors.js'
import { bodyParsersPlugin, contextPlugin, errorsPlugin, fieldTableDoors, metricsPlugin } from './http/plugins.js'
import { addSharedSchemas } from './http/schemas.js'
import { securityPlugin } from './http/security.js'
import { capacityPlanRoutes } from './http/routes/capacity-plans.js'
import { chartRoutes } from './http/routes/charts.js'
import { catalogRoutes } from './http/routes/catalog.js'
import { adminRoutes } from './http/routes/admin.js'
import { graphiqlRoutes } from './http/routes/graphiql.js'
import { healthRoutes } from './http/routes/health.js'
import { instanceTypeRoutes } from './http/routes/instance-types.js'
import { pageRoutes } from './http/routes/page.js'
import { recommendationRoutes } from './http/routes/recommendations.js'
import { slackRoutes } from './http/routes/slack.js'
import { MIGRATIONS_DIR, SEED_FILE } from './paths.js'
import { graphqlPlugin } from './graphql/plugin.js'

const trustHops =
  (hops: number) =>
  (_address: string, hop: number): boolean =>
    hop < hops

export interface AppDeps {
  /** A database to use instead of opening one from the config (tests); the app then does not close it. */
  db?: Db
  clock?: () => Date
  seedFile?: string
  /** A pino-compatible logger instance (tests may pass a silent one). */
  logger?: boolean | object
  /** The AWS fetch (or its SDK clients) used by catalog refreshes; tests point it at a fake. */
  refresh?: AppContext['refresh']
}

/**
 * Builds the whole service without listening: opens the database, applies migrations, loads the seed
 * when the catalog is empty, loads the catalog into memory, and registers every door.
 * The process concerns (listen, signals) live in server.ts.
 */
export async function buildApp(config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const requestIdPrefix = randomUUID().slice(0, 8)
  let requestSeq = 0
  const app = Fastify({
    // JSON lines, or readable text in a terminal (LOG_FORMAT; src/logging.ts).
    logger: deps.logger === undefined ? loggerOptions(config, process.stdout.isTTY === true) : (deps.logger as boolean),
    // A caller's own id is kept when it is sane; otherwise this process' random prefix and a sequence
    // number: unique across replicas and restarts, and cheaper than a UUID per request.
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : `${requestIdPrefix}-${(++requestSeq).toString(36)}`
    },
    requestIdHeader: false,
    // Limits set on purpose (README "Limits"): JSON bodies up to 256 KiB, a request must arrive and be
    // answered within 30 s, idle keep-alive connections close after 72 s (above common LB idle timeouts).
    bodyLimit: 256 * 1024,
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 72_000,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // URLs the router cannot take in (bad percent-encoding, too long a name) go through the same request
    // policy and error shape as the rest (errors.ts, frameworkError).
    frameworkErrors: frameworkError,
    // While closing, a request that arrives on an open connection is answered as usual, with
    // `Connection: close`, instead of fastify's default 503 (node_modules/fastify/lib/route.js,
    // return503OnClosing; https://fastify.dev/docs/latest/Reference/Server/#return503onclosing).
    // Every replica answers from its catalog in memory until its last connection closes (server.ts).
    return503OnClosing: false,
    // Behind a proxy the client is who X-Forwarded-For says, as far as the trusted hops go (TRUST_PROXY).
    // (A hop count is given as the function fastify makes of one: trust the first n hops.)
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
  })

  const ownsDb = !deps.db
  const db = deps.db ?? (await openDb(config, (err) => app.log.warn({ err }, 'database connection error')))
  try {
    await migrate(db, await readMigrations(MIGRATIONS_DIR), (msg) => app.log.info(msg))
    const seeded = await ensureSeeded(db, () => readSeed(deps.seedFile ?? SEED_FILE))
    if (seeded) app.log.info({ catalogVersion: seeded }, 'catalog seeded')
  } catch (err) {
    if (ownsDb) await db.close().catch(() => {})
    throw err
  }
  const catalog = new CatalogStore(db, { pollSeconds: config.catalogPollSeconds, log: app.log })
  const clock = deps.clock ?? (() => new Date())
  const answers = new AnswerPipeline(catalog, { clock, priceMaxAgeDays: config.priceMaxAgeDays }, config.memoryCacheMb * 1024 * 1024)
  const ctx: AppContext = { config, db, catalog, answers, clock, refresh: deps.refresh ?? {} }
  // The cross-cutting plugins declare their dependencies (src/http/plugins.ts): fastify enforces this order.
  await app.register(contextPlugin, { ctx })
  await app.register(securityPlugin)
  await app.register(metricsPlugin)
  await app.register(errorsPlugin)
  await app.register(bodyParsersPlugin)
  app.addHook('onClose', async () => {
    await catalog.stop()
    if (ownsDb) await db.close()
  })
  // The OpenAPI document (/docs/json): named shapes, operationIds, every error, examples (src/http/docs.ts).
  await app.register(swagger, swaggerOptions({ publicUrl: config.publicUrl, examples: () => buildExamples(ctx) }))
  addSharedSchemas(app, DOC_ONLY_SCHEMAS)
  await app.register(swaggerUi, { routePrefix: '/docs' })
  await app.register(healthRoutes)
  await app.register(adminRoutes)
  await app.register(catalogRoutes)
  await app.register(fieldTableDoors([instanceTypeRoutes, capacityPlanRoutes, recommendationRoutes, slackRoutes, chartRoutes]))
  await app.register(graphqlPlugin)
  await app.register(graphiqlRoutes)
  await app.register(pageRoutes)

  try {
    await catalog.start()
  } catch (err) {
    await app.close().catch(() => {})
    throw err
  }
  return app
}
