// Shared test setup: a fresh database per test on the backend the run is for (a throw-away database on
// the PostgreSQL server named by DATABASE_URL, or an in-memory PGlite), and the app. A fresh database is
// a copy of one migrated and seeded once (test/db-template.ts), so the app started on it applies no
// migration and loads no seed; tests of migrating and seeding themselves ask for an empty one.
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { randomBytes } from 'node:crypto'
import { buildApp, type AppDeps } from '../src/app.js'
import { loadConfig, type Config } from '../src/config.js'
import type { Db } from '../src/db/db.js'
import { openPglite } from '../src/db/pglite.js'
import { openPostgres } from '../src/db/postgres.js'
import { databaseUrl, pgliteTemplates, postgresTemplate } from './db-template.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

export const backend: 'postgres' | 'pglite' = process.env.DATABASE_URL ? 'postgres' : 'pglite'

export interface FreshDatabaseOptions {
  /** No tables at all, as a first start finds it (the tests of migrations and of seeding). Default: migrated and seeded. */
  empty?: boolean
}

/** A new database, migrated and seeded unless `empty`; dropped when the test ends. Returns its URL too (null for PGlite). */
export async function freshDatabase(t: Teardown, opts: FreshDatabaseOptions = {}): Promise<{ db: Db; url: string | null }> {
  const serverUrl = process.env.DATABASE_URL
  if (!serverUrl) {
    const templates = await pgliteTemplates()
    const db = await openPglite('memory://', { loadDataDir: opts.empty ? templates.empty : templates.seeded })
    t.teardown(() => db.close())
    return { db, url: null }
  }
  const name = `cni_test_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  try {
    if (opts.empty) await admin.query(`CREATE DATABASE ${name}`)
    else {
      const create = async (recheck: boolean) => admin.query(`CREATE DATABASE ${name} TEMPLATE ${await postgresTemplate(serverUrl, recheck)}`)
      // 3D000: the template was removed as stale by a run of other content; build it again, once.
      await create(false).catch((err: { code?: string }) => (err.code === '3D000' ? create(true) : Promise.reject(err)))
    }
  } finally {
    await admin.end()
  }
  const url = databaseUrl(serverUrl, name)
  const db = openPostgres({ connectionString: url })
  t.teardown(async () => {
    await db.close().catch(() => {})
    const c = new pg.Client({ connectionString: serverUrl })
    await c.connect()
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await c.end()
  })
  return { db, url }
}

/**
 * Makes `dataDir` (missing or empty) an embedded data directory holding a migrated and seeded database,
 * a copy of the template: for tests that start the server process on one and are not about its first start.
 */
export async function seededDataDir(dataDir: string): Promise<void> {
  const db = await openPglite(dataDir, { loadDataDir: (await pgliteTemplates()).seeded })
  await db.close()
}

/** Tests send thousands of requests from one address: the rate limit is off unless a test sets it. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', RATE_LIMIT_MAX: '0', ...env })
}

/**
 * The whole app on a fresh database, closed when the test ends. A test that gives its own seed file gets
 * an empty database, so that the app loads that seed.
 */
export async function buildTestApp(
  t: Teardown,
  opts: { env?: Record<string, string>; deps?: AppDeps; db?: Db } = {},
): Promise<FastifyInstance> {
  const db = opts.db ?? (await freshDatabase(t, { empty: opts.deps?.seedFile !== undefined })).db
  const app = await buildApp(testConfig(opts.env), { logger: false, ...opts.deps, db })
  t.teardown(() => app.close())
  return app
}

/** Counts the database calls (queries and transactions) made from now until the test ends. */
export function countDatabaseCalls(db: Db, t: Teardown): () => number {
  const original = { query: db.query, tx: db.tx }
  let calls = 0
  db.query = ((...args: Parameters<Db['query']>) => {
    calls++
    return original.query.apply(db, args)
  }) as Db['query']
  db.tx = ((...args: Parameters<Db['tx']>) => {
    calls++
    return original.tx.apply(db, args)
  }) as Db['tx']
  t.teardown(() => Object.assign(db, original))
  return () => calls
}
