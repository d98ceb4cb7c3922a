// The admin doors: POST /v1/admin/refresh and GET /v1/admin/refresh-runs. One app for the file (each
// app costs seconds: a database, migrations, the seed); a test that needs other settings changes them on
// that app and puts them back. On PostgreSQL the app reaches its database through a TCP relay that can
// freeze, as a server does that stops answering without closing its connections.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { connect, createServer, type Server, type Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { fetchCatalog, type AwsSourceOptions } from '../../src/catalog/aws-source.js'
import { currentVersion } from '../../src/catalog/repository.js'
import type { SeedFile } from '../../src/catalog/seed.js'
import { loadConfig } from '../../src/config.js'
import type { Db } from '../../src/db/db.js'
import { openPostgres } from '../../src/db/postgres.js'
import {
  DatabaseUnavailableError,
  MAX_REGIONS,
  RefreshFailedError,
  RefreshInProgressError,
  RefreshRefusedError,
  RefreshStoppedError,
  RefreshTimeoutError,
} from '../../src/catalog/refresh.js'
import { checkAdminAuth, refreshErrorBody, refreshErrorCode } from '../../src/admin/index.js'
import { instanceTypeXml, resetScenario, sdkClients } from '../fakes/aws-fixtures.js'
import { productJson, startFakeAws, storageProductJson, type FakeAws } from '../fakes/fake-aws.js'
import { backend, buildTestApp, freshDatabase } from '../helper.js'

const TOKEN = 'admin-token-for-tests-0123456789'
const auth = { authorization: `Bearer ${TOKEN}` }

const seed = JSON.parse(readFileSync(new URL('../../seed/catalog.json', import.meta.url), 'utf8')) as SeedFile
const seedUsPrices = seed.prices.filter((p) => p.region === 'us-east-1')
const newUsd = (usd: number) => Math.round((usd * 1.05) * 1e6) / 1e6

/** The seed's types as DescribeInstanceTypes items; the seed's us-east-1 prices, 5 % up, as products. */
const allTypesXml = seed.instanceTypes.map(instanceTypeXml)
// The seed's us-east-1 gp3 price comes back too: a refresh that lost it would be refused.
const allProducts = [...seedUsPrices.map((p) => productJson(p.instanceType, newUsd(p.usdPerHour).toFixed(6))), storageProductJson('us-east-1', '0.0800000000')]

/** A TCP relay to the database that can freeze: bytes stop flowing both ways, connections stay open. */
interface Relay {
  url: string
  port: number
  freeze(): void
  thaw(): void
  close(): Promise<void>
}

async function startRelay(target: string): Promise<Relay> {
  const to = new URL(target)
  const sockets = new Set<Socket>()
  const flushes: Array<() => void> = []
  let frozen = false
  const relay = (from: Socket, into: Socket) => {
    const held: Buffer[] = []
    from.on('data', (chunk: Buffer) => (frozen ? held.push(chunk) : into.write(chunk)))
    from.on('end', () => into.end())
    flushes.push(() => {
      for (const chunk of held.splice(0)) into.write(chunk)
    })
  }
  const server: Server = createServer((client) => {
    const upstream = connect({ host: to.hostname, port: Number(to.port || 5432) })
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    relay(client, upstream)
    relay(upstream, client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const url = new URL(target)
  url.hostname = '127.0.0.1'
  url.port = String(port)
  return {
    url: url.toString(),
    port,
    freeze: () => {
      frozen = true
    },
    thaw: () => {
      frozen = false
      for (const flush of flushes) flush()
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

let fake: FakeAws
let aws: ReturnType<typeof sdkClients>
let app: FastifyInstance
let relay: Relay | null = null
t.before(async () => {
  fake = await startFakeAws()
  aws = sdkClients(fake)
  const { db: direct, url } = await freshDatabase(t)
  let db: Db = direct
  if (url) {
    relay = await startRelay(url)
    const r = relay
    t.teardown(() => r.close())
    db = openPostgres({ connectionString: relay.url })
    t.teardown(() => db.close())
  }
  app = await buildTestApp(t, { db, env: { ADMIN_TOKEN: TOKEN }, deps: { refresh: { awsOptions: awsOptions() } } })
})
t.teardown(() => {
  aws.destroy()
  return fake.close()
})
const awsOptions = (): AwsSourceOptions => aws.options()

const scenario = (s: Parameters<FakeAws['setScenario']>[0]) => resetScenario(fake, { products: allProducts, instanceTypes: allTypesXml, ...s })

/** Sets what the app was built with for the rest of the test (and puts it back after). */
function withSetting<K extends keyof FastifyInstance['ctx']['config']>(t: { teardown(fn: () => unknown): void }, key: K, value: FastifyInstance['ctx']['config'][K]) {
  const before = app.ctx.config[key]
  app.ctx.config[key] = value
  t.teardown(() => {
    app.ctx.config[key] = before
  })
}
function withRefreshDep<K extends keyof NonNullable<FastifyInstance['ctx']['refresh']>>(
  t: { teardown(fn: () => unknown): void },
  key: K,
  value: NonNullable<FastifyInstance['ctx']['refresh']>[K],
) {
  const deps = app.ctx.refresh!
  const had = key in deps
  const before = deps[key]
  deps[key] = value
  t.teardown(() => {
    if (had) deps[key] = before
    else delete deps[key]
  })
}

const refresh = (body: object | undefined, headers: Record<string, string> = auth) =>
  app.inject({ method: 'POST', url: '/v1/admin/refresh', headers, ...(body ? { payload: body } : {}) })
const runs = () => app.inject({ url: '/v1/admin/refresh-runs', headers: auth })

t.test('checkAdminAuth', async (t) => {
  t.match(checkAdminAuth(null, `Bearer ${TOKEN}`), { ok: false, statusCode: 503, message: 'admin routes are disabled: set ADMIN_TOKEN' })
  t.match(checkAdminAuth(TOKEN, undefined), { ok: false, statusCode: 401 })
  t.match(checkAdminAuth(TOKEN, TOKEN), { ok: false, statusCode: 401 }, 'the scheme is required')
  t.match(checkAdminAuth(TOKEN, `Basic ${TOKEN}`), { ok: false, statusCode: 401 })
  t.match(checkAdminAuth(TOKEN, `Bearer ${TOKEN}x`), { ok: false, statusCode: 401 })
  t.match(checkAdminAuth(TOKEN, 'Bearer short'), { ok: false, statusCode: 401 }, 'any length compares safely')
  t.match(checkAdminAuth(TOKEN, `Bearer ${TOKEN} extra`), { ok: false, statusCode: 401 })
  t.same(checkAdminAuth(TOKEN, `bearer  ${TOKEN} `), { ok: true })
})

t.test('refresh errors: HTTP status and GraphQL code by kind', async (t) => {
  const cases: [Error, number, string][] = [
    [new RefreshInProgressError(1), 409, 'REFRESH_IN_PROGRESS'],
    [new RefreshRefusedError(1, ['x']), 422, 'REFRESH_REFUSED'],
    [new RefreshFailedError(1, 'x'), 502, 'AWS_UNAVAILABLE'],
    [new RefreshTimeoutError(1, 'x'), 504, 'REFRESH_TIMED_OUT'],
    [new RefreshStoppedError(1, 'x'), 503, 'SHUTTING_DOWN'],
    [new DatabaseUnavailableError('x'), 503, 'DATABASE_UNAVAILABLE'],
  ]
  for (const [err, status, code] of cases) {
    t.match(refreshErrorBody(err), { statusCode: status, message: err.message }, err.name)
    t.equal(refreshErrorCode(err), code, err.name)
  }
  t.equal(refreshErrorBody(new Error('bug')), null)
  t.equal(refreshErrorCode(new Error('bug')), null)
})

t.test('admin routes without ADMIN_TOKEN are disabled', async (t) => {
  withSetting(t, 'adminToken', loadConfig({}).adminToken)
  for (const req of [
    { method: 'POST' as const, url: '/v1/admin/refresh', headers: auth },
    { method: 'GET' as const, url: '/v1/admin/refresh-runs', headers: auth },
  ]) {
    const res = await app.inject(req)
    t.equal(res.statusCode, 503, req.url)
    t.same(res.json(), { statusCode: 503, error: 'Service Unavailable', message: 'admin routes are disabled: set ADMIN_TOKEN' })
  }
})

t.test('POST /v1/admin/refresh', async (t) => {
  const before = app.ctx.catalog.current().version

  t.test('missing or wrong token: 401 with WWW-Authenticate, nothing runs', async (t) => {
    scenario({})
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer not-the-admin-token-at-all' }, { authorization: `Basic ${TOKEN}` }]) {
      const res = await refresh({ regions: ['us-east-1'] }, headers)
      t.equal(res.statusCode, 401)
      t.match(res.headers['www-authenticate'], /^Bearer/)
      t.match(res.json(), { statusCode: 401, error: 'Unauthorized', message: /bearer/i })
      t.notMatch(res.body, TOKEN, 'never echoes the token')
    }
    const list = await app.inject({ url: '/v1/admin/refresh-runs' })
    t.equal(list.statusCode, 401)
    t.equal(fake.requests.length, 0, 'AWS was not called')
    t.equal((await app.ctx.db.query('SELECT 1 FROM refresh_runs')).rowCount, 0, 'no run recorded')
  })

  t.test('bad regions: 400 naming regions, before any AWS call', async (t) => {
    scenario({})
    const cases: [unknown, RegExp][] = [
      [{ regions: ['mars-1'] }, /"mars-1" is not a region code/],
      [{ regions: ['cn-north-1'] }, /no AWS Price List endpoint serves cn-north-1/],
      [{ regions: [] }, /regions/],
      [{ regions: Array.from({ length: MAX_REGIONS + 1 }, () => 'us-east-1') }, /regions/],
      [{ regions: 'us-east-1,eu-west-1' }, /not a region code/],
    ]
    for (const [body, message] of cases) {
      const res = await refresh(body as object)
      t.equal(res.statusCode, 400, JSON.stringify(body))
      t.match(res.json(), { statusCode: 400, error: 'Bad Request', field: 'regions', message })
    }
    const unknown = await refresh({ regions: ['us-east-1'], region: 'x' })
    t.equal(unknown.statusCode, 400)
    t.match(unknown.json(), { field: 'region', message: /unknown field region/ })
    t.equal(fake.requests.length, 0)
  })

  t.test('the right token refreshes the default region (AWS_REGION) and the app serves the new prices', async (t) => {
    scenario({})
    const res = await refresh(undefined)
    t.equal(res.statusCode, 200, res.body)
    const report = res.json()
    // Newer, not necessarily before + 1: a sequence may skip values (a database restored from a copy).
    t.ok(report.catalogVersion > before, `a new version (${report.catalogVersion} after ${before})`)
    t.match(report, {
      status: 'succeeded',
      regions: ['us-east-1'],
      instanceTypes: { total: seed.instanceTypes.length, added: 0, removed: 0, updated: 0, addedNames: [], removedNames: [] },
      prices: { total: seedUsPrices.length, byRegion: { 'us-east-1': seedUsPrices.length } },
      skipped: {},
    })
    // The same types as before, so only the seed's own prices of types it has no limits for go with them
    // (GovCloud rows of the price table); the response schema keeps the count.
    const known = new Set(seed.instanceTypes.map((it) => it.name))
    const orphans = seed.prices.filter((p) => p.region !== 'us-east-1' && !known.has(p.instanceType))
    t.equal(report.prices.droppedWithTypes.total, orphans.length, 'the seed\'s prices of types it does not have')
    t.type(report.runId, 'number')
    t.equal(app.ctx.catalog.current().version, report.catalogVersion, 'served at once, without a restart')
    const m5 = seedUsPrices.find((p) => p.instanceType === 'm5.large')!
    t.equal(app.ctx.catalog.current().price('us-east-1', 'm5.large')?.usdPerHour, newUsd(m5.usdPerHour))
    t.equal((await app.inject('/readyz')).json().catalogVersion, report.catalogVersion)
  })

  t.test('the API returns only 5 types: 422 with the counts, nothing written', async (t) => {
    scenario({ instanceTypes: allTypesXml.slice(0, 5) })
    const version = app.ctx.catalog.current().version
    const res = await refresh({ regions: ['us-east-1'] })
    t.equal(res.statusCode, 422)
    t.match(res.json(), {
      statusCode: 422,
      error: 'Unprocessable Entity',
      message: new RegExp(`refused, the catalog is unchanged: ${seed.instanceTypes.length - 5} of ${seed.instanceTypes.length} instance types`),
    })
    t.equal((await currentVersion(app.ctx.db))?.version, version)
  })

  t.test('AWS failing: 502 saying the catalog is unchanged, with the run id', async (t) => {
    scenario({ ec2Failure: { afterPage: 2, kind: 'http500' } })
    const version = app.ctx.catalog.current().version
    const res = await refresh({ regions: ['us-east-1'] })
    t.equal(res.statusCode, 502)
    t.match(res.json(), {
      statusCode: 502,
      error: 'Bad Gateway',
      message: /^refresh run \d+ failed, the catalog is unchanged: fetching from AWS failed: DescribeInstanceTypes for us-east-1 failed on page 3/,
    })
    t.equal((await currentVersion(app.ctx.db))?.version, version)
  })

  t.test('GET /v1/admin/refresh-runs lists the runs, newest first', async (t) => {
    const res = await app.inject({ url: '/v1/admin/refresh-runs?limit=10', headers: auth })
    t.equal(res.statusCode, 200)
    const { items } = res.json()
    t.same(
      items.map((r: { status: string }) => r.status),
      ['failed', 'refused', 'succeeded'],
    )
    t.match(items[2], { regions: ['us-east-1'], instanceTypes: seed.instanceTypes.length, prices: seedUsPrices.length, skipped: {}, error: null, catalogVersion: Number })
    t.match(items[0], { error: /DescribeInstanceTypes/, catalogVersion: null })
    t.ok(items.every((r: { finishedAt: string | null }) => r.finishedAt))
    t.equal((await app.inject({ url: '/v1/admin/refresh-runs?limit=0', headers: auth })).statusCode, 400)
  })
})

t.test('a refresh while another runs: 409', async (t) => {
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  let fetching!: () => void
  const started = new Promise<void>((r) => (fetching = r))
  withRefreshDep(t, 'fetch', async (regions, opts) => {
    fetching()
    await gate
    return fetchCatalog(regions, opts)
  })
  scenario({})
  const first = refresh({ regions: ['us-east-1'] })
  await started
  const second = await refresh({ regions: ['us-east-1'] })
  t.equal(second.statusCode, 409)
  t.match(second.json(), { statusCode: 409, error: 'Conflict', message: /another catalog refresh is in progress/ })
  release()
  t.equal((await first).statusCode, 200)
})

t.test('a refresh past REFRESH_TIMEOUT_SECONDS: 504, recorded as failed, catalog unchanged, the next one runs', async (t) => {
  withSetting(t, 'refreshTimeoutSeconds', loadConfig({ REFRESH_TIMEOUT_SECONDS: '1' }).refreshTimeoutSeconds)
  const version = app.ctx.catalog.current().version
  t.equal((await currentVersion(app.ctx.db))?.version, version)

  t.test('REST: AWS accepts and never answers', async (t) => {
    scenario({ ec2Failure: { afterPage: 0, kind: 'hang' } })
    const started = Date.now()
    const res = await refresh({ regions: ['us-east-1'] })
    const ms = Date.now() - started
    t.equal(res.statusCode, 504, res.body)
    t.match(res.headers['content-type'], /application\/json/)
    const body = res.json()
    t.same(Object.keys(body).sort(), ['error', 'message', 'statusCode'], 'the error shape')
    t.match(body, {
      statusCode: 504,
      error: 'Gateway Timeout',
      message: /^refresh run (\d+) failed, the catalog is unchanged: timed out after 1 s, the deadline set by REFRESH_TIMEOUT_SECONDS, while fetching from AWS: DescribeInstanceTypes for us-east-1 was stopped on page 1; the run was stopped$/,
    })
    t.ok(ms >= 950 && ms < 5000, `answered at the deadline (${ms} ms)`)
    const runId = Number(/^refresh run (\d+)/.exec(body.message)![1])
    const [latest] = (await runs()).json().items
    t.match(latest, { id: runId, status: 'failed', error: /timed out after 1 s.*REFRESH_TIMEOUT_SECONDS/, catalogVersion: null })
    t.ok(latest.finishedAt)
    t.equal((await currentVersion(app.ctx.db))?.version, version, 'the catalog version is unchanged')
    t.equal(app.ctx.catalog.current().version, version)
  })

  t.test('GraphQL refreshCatalog: the same run, the same message', async (t) => {
    scenario({ ec2Failure: { afterPage: 0, kind: 'hang' } })
    const res = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: auth,
      payload: { query: 'mutation { refreshCatalog(regions: ["us-east-1"]) { status catalogVersion } }' },
    })
    const body = res.json()
    t.equal(body.data?.refreshCatalog ?? null, null)
    t.match(body.errors?.[0]?.message, /timed out after 1 s, the deadline set by REFRESH_TIMEOUT_SECONDS, while fetching from AWS: DescribeInstanceTypes for us-east-1 was stopped on page 1/)
    t.type(body.errors?.[0]?.extensions?.code, 'string', `with a code (${body.errors?.[0]?.extensions?.code})`)
    t.equal((await runs()).json().items[0].status, 'failed')
  })

  t.test('the next refresh is not refused', async (t) => {
    withSetting(t, 'refreshTimeoutSeconds', 300)
    scenario({})
    const res = await refresh({ regions: ['us-east-1'] })
    t.equal(res.statusCode, 200, res.body)
    t.equal(res.json().catalogVersion, version + 1)
  })
})

t.test('the database does not answer: every admin route says 503, naming the database, never its address', async (t) => {
  withRefreshDep(t, 'dbTimeoutMs', 300)

  t.test('queries that never come back', async (t) => {
    const db = app.ctx.db
    const original = { query: db.query, tx: db.tx }
    db.query = (() => new Promise<never>(() => {})) as Db['query']
    db.tx = (() => new Promise<never>(() => {})) as Db['tx']
    t.teardown(() => Object.assign(db, original))
    scenario({})
    const started = Date.now()
    const list = await runs()
    t.equal(list.statusCode, 503)
    t.same(list.json(), {
      statusCode: 503,
      error: 'Service Unavailable',
      message: `the database does not answer (${backend}: no answer within 0.3 s); the refresh runs cannot be listed`,
    })
    const post = await refresh({ regions: ['us-east-1'] })
    t.equal(post.statusCode, 503)
    t.same(post.json(), {
      statusCode: 503,
      error: 'Service Unavailable',
      message: `the database does not answer (${backend}: no answer within 0.3 s); nothing was refreshed`,
    })
    t.ok(Date.now() - started < 4000, 'within the query timeout, not the refresh deadline')
    t.equal(fake.requests.length, 0, 'AWS is not called when the run cannot be recorded')
  })

  t.test(
    'a PostgreSQL server that freezes (connections open, no bytes back)',
    { skip: backend !== 'postgres' && 'needs DATABASE_URL: the freeze is a TCP relay in front of a PostgreSQL server' },
    async (t) => {
      const r = relay!
      scenario({})
      r.freeze()
      t.teardown(() => r.thaw())
      const started = Date.now()
      const list = await runs()
      const post = await refresh({ regions: ['us-east-1'] })
      t.ok(Date.now() - started < 4000, `both answered within the query timeout (${Date.now() - started} ms)`)
      t.same([list.statusCode, post.statusCode], [503, 503])
      t.match(list.json(), { statusCode: 503, error: 'Service Unavailable', message: /^the database does not answer \(postgres: .*\); the refresh runs cannot be listed$/ })
      t.match(post.json(), { statusCode: 503, error: 'Service Unavailable', message: /^the database does not answer \(postgres: .*\); nothing was refreshed$/ })
      const dbPort = new URL(process.env.DATABASE_URL!).port || '5432'
      for (const res of [list, post]) {
        t.notMatch(res.body, /127\.0\.0\.1|localhost/, 'no address')
        t.notMatch(res.body, new RegExp(`\\b(${r.port}|${dbPort})\\b`), 'no port')
      }
      t.equal(fake.requests.length, 0)
      r.thaw()
      const after = await runs()
      t.equal(after.statusCode, 200, 'answers again once the server does')
    },
  )
})

t.test('the routes are in the OpenAPI document under catalog', async (t) => {
  const doc = (await app.inject('/docs/json')).json()
  t.same(doc.paths['/v1/admin/refresh'].post.tags, ['catalog'])
  t.ok(doc.paths['/v1/admin/refresh'].post.responses['422'])
  t.ok(doc.paths['/v1/admin/refresh'].post.responses['504'], 'the deadline answer is documented')
  t.same(doc.paths['/v1/admin/refresh-runs'].get.tags, ['catalog'])
  t.ok(doc.paths['/v1/admin/refresh-runs'].get.responses['503'])
})

t.test(
  'two app instances on one PostgreSQL database both serve the new version after a refresh on one',
  { skip: backend === 'pglite' && 'two apps cannot share one in-memory PGlite (one process, one connection); runs when DATABASE_URL is set' },
  async (t) => {
    const { db, url } = await freshDatabase(t)
    // Polls every 60 s: picking the version up within seconds proves the notification does it.
    const env = { ADMIN_TOKEN: TOKEN, CATALOG_POLL_SECONDS: '60' }
    const a = await buildTestApp(t, { db, env, deps: { refresh: { awsOptions: awsOptions() } } })
    const dbB = openPostgres({ connectionString: url! })
    t.teardown(() => dbB.close())
    const b = await buildTestApp(t, { db: dbB, env })
    const before = a.ctx.catalog.current().version
    t.equal(b.ctx.catalog.current().version, before)

    scenario({})
    const res = await a.inject({ method: 'POST', url: '/v1/admin/refresh', headers: auth, payload: { regions: ['us-east-1'] } })
    t.equal(res.statusCode, 200, res.body)
    const version = res.json().catalogVersion
    t.equal(version, before + 1)

    const until = Date.now() + 5000
    while (b.ctx.catalog.current().version !== version && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
    const m5 = seedUsPrices.find((p) => p.instanceType === 'm5.large')!
    for (const [name, each] of [
      ['A (refreshed)', a],
      ['B (other replica)', b],
    ] as const) {
      t.equal(each.ctx.catalog.current().version, version, `${name} serves version ${version}`)
      t.equal(each.ctx.catalog.current().price('us-east-1', 'm5.large')?.usdPerHour, newUsd(m5.usdPerHour), `${name} serves the new price`)
      t.equal((await each.inject('/readyz')).json().catalogVersion, version)
    }
  },
)

// Last: it closes the file's app.
t.test('closing the app stops a refresh in flight: 503, recorded as failed at once', async (t) => {
  scenario({ ec2Failure: { afterPage: 0, kind: 'hang' } })
  const db = app.ctx.db
  const pending = refresh({ regions: ['us-east-1'] })
  const until = Date.now() + 20_000
  while (fake.hanging() === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10))
  t.equal(fake.hanging(), 1, 'the refresh waits for AWS')
  const started = Date.now()
  await app.close()
  const res = await pending
  t.ok(Date.now() - started < 4000, 'the shutdown did not wait for the refresh deadline')
  t.equal(res.statusCode, 503)
  t.match(res.json(), {
    statusCode: 503,
    error: 'Service Unavailable',
    message: /^refresh run \d+ failed, the catalog is unchanged: stopped while fetching from AWS \(the service is shutting down\)/,
  })
  const { rows } = await db.query<{ status: string; error: string }>('SELECT status, error FROM refresh_runs ORDER BY id DESC LIMIT 1')
  t.match(rows[0], { status: 'failed', error: /the service is shutting down/ })
})
