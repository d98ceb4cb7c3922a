// Shared test setup: a fresh database per test file on the backend the run is for (a throw-away
// database on the PostgreSQL server named by DATABASE_URL, or an in-memory PGlite), and the app.
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { randomBytes } from 'node:crypto'
import { buildApp, type AppDeps } from '../src/app.js'
import { loadConfig, type Config } from '../src/config.js'
import type { Db } from '../src/db/db.js'
import { openPglite } from '../src/db/pglite.js'
import { openPostgres } from '../src/db/postgres.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

export const backend: 'postgres' | 'pglite' = process.env.DATABASE_URL ? 'postgres' : 'pglite'

/** A new, empty database; dropped when the test ends. Returns its URL too (null for PGlite). */
export async function freshDatabase(t: Teardown): Promise<{ db: Db; url: string | null }> {
  const serverUrl = process.env.DATABASE_URL
  if (!serverUrl) {
    const db = await openPglite('memory://')
    t.teardown(() => db.close())
    return { db, url: null }
  }
  const name = `cni_test_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  const db = openPostgres({ connectionString: url.toString() })
  t.teardown(async () => {
    await db.close().catch(() => {})
    const c = new pg.Client({ connectionString: serverUrl })
    await c.connect()
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await c.end()
  })
  return { db, url: url.toString() }
}

/** Tests send thousands of requests from one address: the rate limit is off unless a test sets it. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', RATE_LIMIT_MAX: '0', ...env })
}

/** The whole app on a fresh database, closed when the test ends. */
export async function buildTestApp(
  t: Teardown,
  opts: { env?: Record<string, string>; deps?: AppDeps; db?: Db } = {},
): Promise<FastifyInstance> {
  const db = opts.db ?? (await freshDatabase(t)).db
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
