// Two replicas starting at the same moment on one empty PostgreSQL database: the advisory locks must
// make every migration and the seed happen exactly once, and both replicas must then serve the same.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { Writable } from 'node:stream'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { readMigrations } from '../../src/db/migrate.js'
import { MIGRATIONS_DIR } from '../../src/paths.js'
import { backend, freshDatabase } from '../helper.js'

if (backend !== 'postgres') {
  t.plan(0, 'skipped: needs DATABASE_URL (a PostgreSQL server); the embedded PGlite belongs to one process, so there are no two replicas to race')
} else {
  /** A logger that keeps every line, to count who applied what. */
  function capture(lines: Array<{ msg?: string }>) {
    const stream = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line) as { msg?: string })
        done()
      },
    })
    return { level: 'info', stream }
  }

  const probes = [
    { method: 'GET' as const, url: '/v1/instance-types/m5.large/max-pods' },
    { method: 'GET' as const, url: '/v1/capacity-plans?totalPods=3000&instanceTypes=m5.large,c5.xlarge' },
    { method: 'POST' as const, url: '/v1/recommendations', payload: { performance: 'high', networkPolicy: 'required', instanceTypes: ['m5.large'] } },
  ]

  for (const round of [1, 2, 3]) {
    t.test(`round ${round}: two replicas on one empty database at once`, async (t) => {
      const { db, url } = await freshDatabase(t, { empty: true })
      const migrations = await readMigrations(MIGRATIONS_DIR)
      const config = loadConfig({ DATABASE_URL: url!, LOG_LEVEL: 'info', RATE_LIMIT_MAX: '0' })
      const logs: Array<Array<{ msg?: string }>> = [[], []]
      const apps: FastifyInstance[] = []
      t.teardown(async () => {
        for (const app of apps) await app.close().catch(() => {})
      })

      const results = await Promise.allSettled(logs.map((lines) => buildApp(config, { logger: capture(lines) })))
      for (const r of results) if (r.status === 'fulfilled') apps.push(r.value)
      t.same(
        results.map((r) => r.status),
        ['fulfilled', 'fulfilled'],
        `both replicas start${results.map((r) => (r.status === 'rejected' ? `: ${String(r.reason)}` : '')).join('')}`,
      )
      if (apps.length !== 2) return

      const applied = logs.flat().filter((l) => l.msg?.startsWith('applied migrations/')).map((l) => l.msg)
      t.same(applied.sort(), migrations.map((m) => `applied migrations/${m.file}`).sort(), 'each migration was applied once, by one of the two')
      const seeded = logs.flat().filter((l) => l.msg === 'catalog seeded')
      t.equal(seeded.length, 1, 'exactly one replica loaded the seed')

      const versions = await db.query<{ version: number; n: number }>('SELECT version, count(*)::int AS n FROM schema_migrations GROUP BY version ORDER BY version')
      t.same(versions.rows.map((r) => [Number(r.version), r.n]), migrations.map((m) => [m.version, 1]), 'schema_migrations holds every version once')
      const catalog = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM catalog_versions')
      t.equal(catalog.rows[0]!.n, 1, 'catalog_versions holds exactly one row: the seed landed once')

      const ready = await Promise.all(apps.map((a) => a.inject('/readyz')))
      t.same(ready.map((r) => r.statusCode), [200, 200], 'both are ready')
      t.equal(ready[0]!.json().catalogVersion, ready[1]!.json().catalogVersion, 'on the same catalog version')
      for (const p of probes) {
        const [x, y] = await Promise.all(apps.map((a) => a.inject(p)))
        t.equal(x!.statusCode, 200, `${p.method} ${p.url} answers`)
        t.equal(x!.body, y!.body, `${p.method} ${p.url}: both replicas give the same answer`)
      }
    })
  }
}
