// The database goes away under load and comes back: answers keep flowing from the catalog in memory,
// the replica stays ready (it can answer) and says the database is down without saying where it is,
// writes fail cleanly, and everything recovers by itself, including
// LISTEN (proved with a poll interval of an hour, so only a notification can deliver the new version).
//
// Runs on a throw-away PostgreSQL cluster of its own (the shared test server must not be stopped);
// skipped only when this machine has no PostgreSQL server binaries.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { buildApp } from '../../src/app.js'
import type { CatalogResult } from '../../src/catalog/aws-source.js'
import { replaceCatalog } from '../../src/catalog/repository.js'
import { loadConfig } from '../../src/config.js'
import { migrate, readMigrations } from '../../src/db/migrate.js'
import { openPostgres } from '../../src/db/postgres.js'
import { MIGRATIONS_DIR } from '../../src/paths.js'
import { clusterUnavailableReason, createCluster, type Cluster } from './pg-cluster.js'

const TOKEN = 'admin-token-for-fault-tests-0123'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const unavailable = clusterUnavailableReason()
if (unavailable) {
  t.plan(0, `skipped: ${unavailable}; this test needs a PostgreSQL server it may stop and start`)
} else {
  t.test('a database outage under load: answers continue, the replica stays ready and tells, everything recovers by itself', async (t) => {
    const problems: string[] = []
    const onUnhandled = (err: unknown) => problems.push(`unhandledRejection: ${String((err as Error)?.stack ?? err)}`)
    const onUncaught = (err: Error) => problems.push(`uncaughtException: ${err.stack ?? err.message}`)
    process.on('unhandledRejection', onUnhandled)
    process.on('uncaughtException', onUncaught)

    let cluster: Cluster | null = null
    let app: FastifyInstance | null = null
    const admin = { client: null as pg.Client | null }
    t.teardown(async () => {
      process.off('unhandledRejection', onUnhandled)
      process.off('uncaughtException', onUncaught)
      await admin.client?.end().catch(() => {})
      // The app first (it may be reconnecting), then the server and its files, whatever happened above.
      await app?.close().catch(() => {})
      cluster?.destroy()
    })

    cluster = await createCluster()
    let fetchCalls = 0
    const fetch = async (): Promise<CatalogResult> => {
      fetchCalls++
      throw new Error('the fake AWS is not expected to be called while the database is down')
    }
    app = await buildApp(
      loadConfig({ DATABASE_URL: cluster.url, LOG_LEVEL: 'silent', CATALOG_POLL_SECONDS: '3600', ADMIN_TOKEN: TOKEN, RATE_LIMIT_MAX: '0' }),
      { logger: false, refresh: { fetch } },
    )
    const a = app

    const ready0 = await a.inject('/readyz')
    t.equal(ready0.statusCode, 200, 'ready on a healthy database')
    const v1 = ready0.json().catalogVersion as number
    t.ok(v1 >= 1, 'the seed is loaded')

    // ------------------------------------------------------------------ steady load on the answers
    const requests = [
      { method: 'GET' as const, url: '/v1/instance-types/m5.large/max-pods' },
      { method: 'GET' as const, url: '/v1/capacity-plans?totalPods=3000&instanceTypes=m5.large,c5.xlarge' },
      {
        method: 'POST' as const,
        url: '/v1/recommendations',
        payload: { performance: 'high', networkPolicy: 'required', instanceTypes: ['m5.large'], podsPerNode: 50, totalPods: 3000 },
      },
      {
        method: 'POST' as const,
        url: '/graphql',
        payload: { query: '{ recommend(requirements: { performance: HIGH, instanceTypes: ["m5.large"], podsPerNode: 50 }) { summary recommendation { id } } }' },
      },
      { method: 'GET' as const, url: '/v1/catalog' },
    ]
    type Phase = 'before' | 'outage' | 'after'
    let phase: Phase = 'before'
    let stop = false
    const answered: Record<Phase, number> = { before: 0, outage: 0, after: 0 }
    const failures: string[] = []
    const loadStarted = Date.now()
    const worker = async (w: number) => {
      // Bounded in count and time whatever happens to the rest of the test.
      for (let i = 0; !stop && i < 4000 && Date.now() - loadStarted < 50_000; i++) {
        const r = requests[(i + w) % requests.length]!
        const p = phase
        const res = await a.inject(r)
        if (res.statusCode === 200 && !(r.url === '/graphql' && res.json().errors)) answered[p]++
        else if (failures.length < 10) failures.push(`${p}: ${r.method} ${r.url} → ${res.statusCode} ${res.body.slice(0, 200)}`)
        await sleep(2)
      }
    }
    const load = Promise.all([0, 1, 2, 3].map(worker))
    await sleep(300)

    // ------------------------------------------------------------------ the database goes away
    phase = 'outage'
    const stoppedAt = Date.now()
    cluster.stopImmediate()

    // Readiness means "can answer": the catalog in memory still answers, so the replica stays in the
    // Service; the body says the database is down, by kind of failure, never by address.
    let down = await a.inject('/readyz')
    while (down.json().databaseUp !== false && Date.now() - stoppedAt < 10_000) {
      t.equal(down.statusCode, 200)
      await sleep(100)
      down = await a.inject('/readyz')
    }
    t.equal(down.statusCode, 200, '/readyz stays 200 while the database is down')
    t.match(
      down.json(),
      { status: 'ready', database: 'postgres', databaseUp: false, databaseError: /^the database \(postgres\) does not answer: [a-z ]+(within \d+ ms)?; answers continue from the catalog in memory$/, catalogVersion: v1 },
      'and says the database does not answer',
    )
    t.notMatch(down.body, new RegExp(`127\\.0\\.0\\.1|${cluster.port}|postgres://|cni-pgcluster`), `without its address (${down.json().databaseError})`)

    const refresh = await a.inject({ method: 'POST', url: '/v1/admin/refresh', headers: { authorization: `Bearer ${TOKEN}` }, payload: { regions: ['us-east-1'] } })
    t.equal(refresh.statusCode, 503, 'a refresh fails cleanly: 503, the database is away')
    t.match(refresh.headers['content-type'], /application\/json/)
    const refreshBody = refresh.json()
    t.equal(refreshBody.statusCode, refresh.statusCode, 'the contract error body')
    t.type(refreshBody.message, 'string')
    t.match(refreshBody.message, /the database does not answer .*nothing was refreshed/)
    t.equal(fetchCalls, 0, 'AWS is not called when the run cannot even be recorded')
    const listed = await a.inject({ url: '/v1/admin/refresh-runs', headers: { authorization: `Bearer ${TOKEN}` } })
    t.equal(listed.statusCode, 503, 'listing the refresh runs: 503 too, not 500')
    t.match(listed.json(), { statusCode: 503, error: 'Service Unavailable', message: /^the database does not answer \(postgres: .+\); the refresh runs cannot be listed$/ })
    for (const res of [refresh, listed]) t.notMatch(res.body, new RegExp(`127\\.0\\.0\\.1|${cluster.port}`), 'and never says where the database is')

    await t.rejects(migrate(a.ctx.db, await readMigrations(MIGRATIONS_DIR)), 'migrate() rejects while the database is down')

    const kept = await a.ctx.catalog.reloadIfChanged()
    t.equal(kept?.version, v1, 'a reload attempt keeps the catalog in memory')
    t.ok(a.ctx.catalog.error, `and remembers why it failed: ${a.ctx.catalog.error}`)

    const metrics = await a.inject('/metrics')
    t.equal(metrics.statusCode, 200, '/metrics still answers')
    t.match(metrics.body, /^cni_db_up 0$/m, 'and reports the database down (cni_db_up)')

    await sleep(2500) // more load with the database down (the listener keeps retrying, with growing delays)
    t.ok(answered.outage > 20, `answers kept flowing during the outage (${answered.outage} answered)`)
    const outageMs = Date.now() - stoppedAt

    // ------------------------------------------------------------------ it comes back
    phase = 'after'
    cluster.start()
    const restartedAt = Date.now()
    let readyAgain = await a.inject('/readyz')
    while (readyAgain.json().databaseUp !== true && Date.now() - restartedAt < 20_000) {
      await sleep(100)
      readyAgain = await a.inject('/readyz')
    }
    t.equal(readyAgain.statusCode, 200)
    t.equal(readyAgain.json().databaseUp, true, `/readyz sees the database back by itself (after ${Date.now() - restartedAt} ms)`)
    t.notOk('databaseError' in readyAgain.json(), 'and no longer names an error')
    t.equal(readyAgain.json().catalogVersion, v1)
    t.match((await a.inject('/metrics')).body, /^cni_db_up 1$/m, 'cni_db_up is 1 again')

    // The LISTEN connection reconnects with backoff (at most 5 s between tries).
    admin.client = new pg.Client({ connectionString: cluster.url })
    await admin.client.connect()
    const listening = async () =>
      Number(
        (
          await admin.client!.query<{ n: string }>(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE query = 'LISTEN catalog_changed' AND datname = current_database()",
          )
        ).rows[0]!.n,
      )
    let listeners = await listening()
    while (listeners === 0 && Date.now() - restartedAt < 20_000) {
      await sleep(200)
      listeners = await listening()
    }
    t.equal(listeners, 1, `the app listens again, on exactly one connection (after ${Date.now() - restartedAt} ms)`)

    // A new version written by someone else: with a poll interval of an hour only NOTIFY can deliver it.
    const writer = openPostgres({ connectionString: cluster.url })
    const v2 = await writer.tx((q) => replaceCatalog(q, { source: 'fault-test', note: 'written after the outage' }))
    await writer.close()
    t.ok(v2 > v1)
    const wroteAt = Date.now()
    let served = (await a.inject('/v1/catalog')).json().version as number
    while (served !== v2 && Date.now() - wroteAt < 5000) {
      await sleep(50)
      served = (await a.inject('/v1/catalog')).json().version as number
    }
    t.equal(served, v2, `the new version is served ${Date.now() - wroteAt} ms after its commit (NOTIFY)`)
    t.equal(a.ctx.catalog.error, null, 'the reload error is cleared')

    await sleep(200)
    stop = true
    await load
    t.same(failures, [], 'every answer was a 200, before, during and after the outage')
    t.ok(answered.before > 0 && answered.after > 0, `answered before ${answered.before}, during ${answered.outage} (${outageMs} ms), after ${answered.after}`)

    const refreshAfter = await a.inject({ method: 'POST', url: '/v1/admin/refresh', headers: { authorization: `Bearer ${TOKEN}` }, payload: { regions: ['us-east-1'] } })
    t.equal(refreshAfter.statusCode, 502, 'after the outage a refresh reaches AWS again (whose fake fails here: 502)')
    t.equal(fetchCalls, 1)
    t.same(await migrate(a.ctx.db, await readMigrations(MIGRATIONS_DIR)), [], 'migrations run again (nothing to apply)')

    t.same(problems, [], 'no unhandled rejection or uncaught exception')
  })
}
