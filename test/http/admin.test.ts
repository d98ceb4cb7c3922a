import t from 'tap'
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import { fetchCatalog, type AwsSourceOptions } from '../../src/catalog/aws-source.js'
import { currentVersion } from '../../src/catalog/repository.js'
import type { SeedFile } from '../../src/catalog/seed.js'
import { openPostgres } from '../../src/db/postgres.js'
import { checkAdminAuth } from '../../src/http/admin.js'
import { instanceTypeXml, resetScenario, sdkClients } from '../fakes/aws-fixtures.js'
import { productJson, startFakeAws, type FakeAws } from '../fakes/fake-aws.js'
import { backend, buildTestApp, freshDatabase } from '../helper.js'

const TOKEN = 'admin-token-for-tests-0123456789'
const auth = { authorization: `Bearer ${TOKEN}` }

const seed = JSON.parse(readFileSync(new URL('../../seed/catalog.json', import.meta.url), 'utf8')) as SeedFile
const seedUsPrices = seed.prices.filter((p) => p.region === 'us-east-1')
const newUsd = (usd: number) => Math.round((usd * 1.05) * 1e6) / 1e6

/** The seed's types as DescribeInstanceTypes items; the seed's us-east-1 prices, 5 % up, as products. */
const allTypesXml = seed.instanceTypes.map(instanceTypeXml)
const allProducts = seedUsPrices.map((p) => productJson(p.instanceType, newUsd(p.usdPerHour).toFixed(6)))

let fake: FakeAws
let aws: ReturnType<typeof sdkClients>
t.before(async () => {
  fake = await startFakeAws()
  aws = sdkClients(fake)
})
t.teardown(() => {
  aws.destroy()
  return fake.close()
})
const awsOptions = (): AwsSourceOptions => aws.options()

const scenario = (s: Parameters<FakeAws['setScenario']>[0]) => resetScenario(fake, { products: allProducts, instanceTypes: allTypesXml, ...s })

async function adminApp(t: { teardown(fn: () => unknown): void }, env: Record<string, string> = { ADMIN_TOKEN: TOKEN }) {
  return buildTestApp(t, { env, deps: { refresh: { awsOptions: awsOptions() } } })
}

const refresh = (app: FastifyInstance, body: object | undefined, headers: Record<string, string> = auth) =>
  app.inject({ method: 'POST', url: '/v1/admin/refresh', headers, ...(body ? { payload: body } : {}) })

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

t.test('admin routes without ADMIN_TOKEN are disabled', async (t) => {
  const app = await adminApp(t, {})
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
  const app = await adminApp(t)
  const before = app.ctx.catalog.current().version

  t.test('missing or wrong token: 401 with WWW-Authenticate, nothing runs', async (t) => {
    scenario({})
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer not-the-admin-token-at-all' }, { authorization: `Basic ${TOKEN}` }]) {
      const res = await refresh(app, { regions: ['us-east-1'] }, headers)
      t.equal(res.statusCode, 401)
      t.match(res.headers['www-authenticate'], /^Bearer/)
      t.match(res.json(), { statusCode: 401, error: 'Unauthorized', message: /bearer/i })
      t.notMatch(res.body, TOKEN, 'never echoes the token')
    }
    const runs = await app.inject({ url: '/v1/admin/refresh-runs' })
    t.equal(runs.statusCode, 401)
    t.equal(fake.requests.length, 0, 'AWS was not called')
    t.equal((await app.ctx.db.query('SELECT 1 FROM refresh_runs')).rowCount, 0, 'no run recorded')
  })

  t.test('bad regions: 400 naming regions, before any AWS call', async (t) => {
    scenario({})
    const cases: [unknown, RegExp][] = [
      [{ regions: ['mars-1'] }, /"mars-1" is not a region code/],
      [{ regions: ['cn-north-1'] }, /no AWS Price List endpoint serves cn-north-1/],
      [{ regions: [] }, /regions/],
      [{ regions: Array.from({ length: 21 }, () => 'us-east-1') }, /regions/],
      [{ regions: 'us-east-1,eu-west-1' }, /not a region code/],
    ]
    for (const [body, message] of cases) {
      const res = await refresh(app, body as object)
      t.equal(res.statusCode, 400, JSON.stringify(body))
      t.match(res.json(), { statusCode: 400, error: 'Bad Request', field: 'regions', message })
    }
    const unknown = await refresh(app, { regions: ['us-east-1'], region: 'x' })
    t.equal(unknown.statusCode, 400)
    t.match(unknown.json(), { field: 'region', message: /unknown field region/ })
    t.equal(fake.requests.length, 0)
  })

  t.test('the right token refreshes the default region (AWS_REGION) and the app serves the new prices', async (t) => {
    scenario({})
    const res = await refresh(app, undefined)
    t.equal(res.statusCode, 200, res.body)
    const report = res.json()
    t.match(report, {
      status: 'succeeded',
      catalogVersion: before + 1,
      regions: ['us-east-1'],
      instanceTypes: { total: seed.instanceTypes.length, added: 0, removed: 0, updated: 0, addedNames: [], removedNames: [] },
      prices: { total: seedUsPrices.length, byRegion: { 'us-east-1': seedUsPrices.length } },
      skipped: {},
    })
    t.type(report.runId, 'number')
    t.equal(app.ctx.catalog.current().version, report.catalogVersion, 'served at once, without a restart')
    const m5 = seedUsPrices.find((p) => p.instanceType === 'm5.large')!
    t.equal(app.ctx.catalog.current().price('us-east-1', 'm5.large')?.usdPerHour, newUsd(m5.usdPerHour))
    t.equal((await app.inject('/readyz')).json().catalogVersion, report.catalogVersion)
  })

  t.test('the API returns only 5 types: 422 with the counts, nothing written', async (t) => {
    scenario({ instanceTypes: allTypesXml.slice(0, 5) })
    const version = app.ctx.catalog.current().version
    const res = await refresh(app, { regions: ['us-east-1'] })
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
    const res = await refresh(app, { regions: ['us-east-1'] })
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
    t.match(items[2], { regions: ['us-east-1'], instanceTypes: seed.instanceTypes.length, prices: seedUsPrices.length, skipped: {}, error: null, catalogVersion: before + 1 })
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
  const app = await buildTestApp(t, {
    env: { ADMIN_TOKEN: TOKEN },
    deps: {
      refresh: {
        awsOptions: awsOptions(),
        fetch: async (regions, opts) => {
          fetching()
          await gate
          return fetchCatalog(regions, opts)
        },
      },
    },
  })
  scenario({})
  const first = refresh(app, { regions: ['us-east-1'] })
  await started
  const second = await refresh(app, { regions: ['us-east-1'] })
  t.equal(second.statusCode, 409)
  t.match(second.json(), { statusCode: 409, error: 'Conflict', message: /another catalog refresh is in progress/ })
  release()
  t.equal((await first).statusCode, 200)
})

t.test('the routes are in the OpenAPI document under catalog', async (t) => {
  const app = await adminApp(t)
  const doc = (await app.inject('/docs/json')).json()
  t.same(doc.paths['/v1/admin/refresh'].post.tags, ['catalog'])
  t.ok(doc.paths['/v1/admin/refresh'].post.responses['422'])
  t.same(doc.paths['/v1/admin/refresh-runs'].get.tags, ['catalog'])
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
    const res = await refresh(a, { regions: ['us-east-1'] })
    t.equal(res.statusCode, 200, res.body)
    const version = res.json().catalogVersion
    t.equal(version, before + 1)

    const until = Date.now() + 5000
    while (b.ctx.catalog.current().version !== version && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
    const m5 = seedUsPrices.find((p) => p.instanceType === 'm5.large')!
    for (const [name, app] of [
      ['A (refreshed)', a],
      ['B (other replica)', b],
    ] as const) {
      t.equal(app.ctx.catalog.current().version, version, `${name} serves version ${version}`)
      t.equal(app.ctx.catalog.current().price('us-east-1', 'm5.large')?.usdPerHour, newUsd(m5.usdPerHour), `${name} serves the new price`)
      t.equal((await app.inject('/readyz')).json().catalogVersion, version)
    }
  },
)
