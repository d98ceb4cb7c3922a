// One database and one app for the whole file (each new embedded database and app costs seconds):
// tests that need the seed's catalog put it back first (resetToSeed), and compare with what they found.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { readFileSync } from 'node:fs'
import type { AwsSourceOptions, CatalogResult } from '../../src/catalog/aws-source.js'
import { fastRetry, instanceTypeXml, resetScenario, sdkClients } from '../fakes/aws-fixtures.js'
import {
  databaseDownReason,
  DatabaseUnavailableError,
  listRefreshRuns,
  RefreshFailedError,
  RefreshInProgressError,
  RefreshRefusedError,
  RefreshStoppedError,
  RefreshTimeoutError,
  ALL_REGIONS,
  asksForAllRegions,
  MAX_REGIONS,
  RUN_STALE_AFTER_MS,
  runRefresh,
  validateRegions,
} from '../../src/catalog/refresh.js'
import { currentVersion, readInstanceTypes, readPrices, readStoragePrices, replaceCatalog } from '../../src/catalog/repository.js'
import type { SeedFile } from '../../src/catalog/seed.js'
import { ADVISORY_LOCKS, type Db } from '../../src/db/db.js'
import { InputError, type InstanceType } from '../../src/domain/types.js'
import { productJson, spotPrice, startFakeAws, storageProductJson, type FakeAws, type FakeSpotPrice, type ReservedTermSpec } from '../fakes/fake-aws.js'
import { backend, buildTestApp, freshDatabase } from '../helper.js'

const seed = JSON.parse(readFileSync(new URL('../../seed/catalog.json', import.meta.url), 'utf8')) as SeedFile
const seedUsPrices = seed.prices.filter((p) => p.region === 'us-east-1')
/** What the fake charges: every us-east-1 seed price plus a tenth of a cent, so a refresh is visible. */
const newUsd = (usd: number) => Math.round((usd + 0.001) * 1e6) / 1e6

// ------------------------------------------------------------------ fixtures from the seed

const typeXml = instanceTypeXml

interface Fixture {
  /** Seed types AWS no longer returns. */
  drop?: string[]
  /** Types unknown to the seed. */
  extra?: string[]
  /** Only the first n seed types (a broken API). */
  onlyTypes?: number
  /** Share of the us-east-1 seed prices AWS returns. */
  usPriceShare?: number
  /** Also price every type in eu-west-1. */
  euPrices?: boolean
  /** Limits AWS now reports differently. */
  changed?: Record<string, Partial<InstanceType>>
}

function catalogScenario(f: Fixture = {}) {
  const drop = new Set(f.drop ?? [])
  let types = seed.instanceTypes.filter((it) => !drop.has(it.name))
  if (f.onlyTypes !== undefined) types = types.slice(0, f.onlyTypes)
  const instanceTypes = [...types.map((it) => typeXml({ ...it, ...f.changed?.[it.name] })), ...(f.extra ?? []).map((name) => typeXml({ name, maxEnis: 4, ipv4PerEni: 15 }))]
  const us = seedUsPrices.filter((p) => !drop.has(p.instanceType))
  const usKept = us.slice(0, Math.floor(us.length * (f.usPriceShare ?? 1)))
  const products = usKept.map((p) => productJson(p.instanceType, newUsd(p.usdPerHour).toFixed(6)))
  if (f.euPrices) {
    types.forEach((it, i) => products.push(productJson(it.name, (0.05 + i / 10_000).toFixed(4), { region: 'eu-west-1' })))
  }
  // The seed has us-east-1's gp3 price: a refresh that lost it would be refused.
  products.push(storageProductJson('us-east-1', '0.0800000000'))
  return { instanceTypes, products }
}

// ------------------------------------------------------------------ the fake and real SDK clients

let fake: FakeAws
let aws: ReturnType<typeof sdkClients>
/** The file's database (the app seeded it) and the app serving it from memory. */
let db: Db
let url: string | null
let app: FastifyInstance
t.before(async () => {
  fake = await startFakeAws()
  aws = sdkClients(fake)
  ;({ db, url } = await freshDatabase(t))
  app = await buildTestApp(t, { db, env: { CATALOG_POLL_SECONDS: '30' } })
})
t.teardown(() => {
  aws.destroy()
  return fake.close()
})

const awsOptions = (): AwsSourceOptions => aws.options()
const scenario = (s: Parameters<FakeAws['setScenario']>[0]) => resetScenario(fake, s)

/** Writes the seed's catalog again as a new version (what the app started with). */
async function resetToSeed(): Promise<void> {
  const storage = seed.storagePrices ?? []
  await db.tx((q) =>
    replaceCatalog(q, {
      source: 'seed',
      note: 'test: back to the seed',
      instanceTypes: seed.instanceTypes.map((it) => ({ ...it, source: 'seed' })),
      // Every region any test wrote, so a region a test added goes again.
      prices: { regions: [...new Set([...seed.prices.map((p) => p.region), ...EXTRA_REGIONS])], rows: seed.prices },
      storagePrices: { regions: [...new Set([...storage.map((p) => p.region), ...EXTRA_REGIONS])], rows: storage },
    }),
  )
}

/** Regions the tests refresh that the seed has no prices for. */
const EXTRA_REGIONS = ['ap-south-1', 'eu-central-1', 'sa-east-1']

/** What AWS would return for the seed, without AWS: for tests about the run, not the fetch. */
function seedAsFetched(): CatalogResult {
  return {
    instanceTypes: seed.instanceTypes.map(({ trunking: _t, branchEnis: _b, ...it }) => it),
    prices: seedUsPrices.map((p) => ({ ...p, usdPerHour: newUsd(p.usdPerHour), source: 'aws-pricing-api' })),
    skipped: {},
    pages: 1,
  }
}

/** A fetch that waits for release(), then returns the seed as AWS would; and says when it started. */
function gatedFetch() {
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  let fetching!: () => void
  const started = new Promise<void>((r) => (fetching = r))
  const fetch = async (): Promise<CatalogResult> => {
    fetching()
    await gate
    return seedAsFetched()
  }
  return { fetch, started, release }
}

async function runRow(id: number) {
  const { rows } = await db.query<{ status: string; error: string | null; finished_at: Date | null; owner: string | null; heartbeat_at: Date | null; started_at: Date }>(
    'SELECT status, error, finished_at, owner, heartbeat_at, started_at FROM refresh_runs WHERE id = $1',
    [id],
  )
  return rows[0]
}

async function snapshotOf(db: Db) {
  return {
    version: (await currentVersion(db))?.version,
    types: (await readInstanceTypes(db)).length,
    prices: await readPrices(db),
  }
}

async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}


// ------------------------------------------------------------------ tests

t.test('regions are validated before anything is recorded or fetched', async (t) => {
  t.same(validateRegions(['us-east-1', ' eu-west-1 ', 'us-east-1']), ['us-east-1', 'eu-west-1'])
  const bad: unknown[] = [[], 'us-east-1', ['mars'], ['US-EAST-1'], [42], ['cn-north-1'], ['us-gov-west-1'], ['all', 'us-east-1'], Array.from({ length: MAX_REGIONS + 1 }, (_, i) => `us-east-${i % 10}`)]
  for (const regions of bad) {
    let err: unknown
    try {
      validateRegions(regions)
    } catch (e) {
      err = e
    }
    t.ok(err instanceof InputError && err.field === 'regions', `${JSON.stringify(regions)}: ${(err as Error)?.message}`)
  }
  t.throws(() => validateRegions([]), /regions must be a non-empty list/)
  t.throws(() => validateRegions(['cn-north-1']), /regions: no AWS Price List endpoint serves cn-north-1/)

  const runsBefore = (await listRefreshRuns(db, 1000)).length
  const err = await runRefresh(db, ['nowhere'], { awsOptions: awsOptions() }).catch((e) => e)
  t.ok(err instanceof InputError)
  t.equal(err.field, 'regions')
  t.match(err.message, /"nowhere" is not a region code/)
  t.equal((await listRefreshRuns(db, 1000)).length, runsBefore, 'bad input records no run and calls nothing')
  t.equal(fake.requests.length, 0)
  t.match(await runRefresh(db, ['us-east-1'], { maxDropShare: 2 }).catch((e) => e), { field: 'maxDropShare', message: /from 0 to 1/ })
  t.match(await runRefresh(db, ['us-east-1'], { timeoutMs: 0 }).catch((e) => e), { field: 'timeoutMs', message: /positive number/ })
  t.equal((await listRefreshRuns(db, 1000)).length, runsBefore)
})

t.test('a full refresh lands whole, bumps the version, keeps branch-ENI limits, and the app serves it', async (t) => {
  // The first test to write: the catalog is still the seed the app loaded.
  const before = await snapshotOf(db)
  await app.ctx.catalog.reloadIfChanged()
  t.equal(app.ctx.catalog.current().version, before.version)

  const dropped = seed.instanceTypes.filter((it) => it.name.startsWith('t1.') || it.name.startsWith('m1.')).map((it) => it.name)
  t.ok(dropped.length > 0 && dropped.length < seed.instanceTypes.length / 10, 'a few old types are gone from AWS')
  const fx = catalogScenario({
    drop: dropped,
    extra: ['zz9.large', 'zz9.xlarge'],
    euPrices: true,
    changed: { 'm5.large': { ipv4PerEni: 12 } },
  })
  scenario(fx)
  t.ok(fx.products.length > 2000, `the fake serves ${fx.products.length} products`)

  const trunked = seed.instanceTypes.find((it) => it.trunking && it.branchEnis > 0 && !dropped.includes(it.name))!
  const usGovBefore = before.prices.filter((p) => p.region === 'us-gov-west-1')

  const report = await runRefresh(db, ['us-east-1', 'eu-west-1'], { awsOptions: awsOptions() })

  const expectedTypes = seed.instanceTypes.length - dropped.length + 2
  // A newer version; not necessarily before + 1: a sequence may skip values (PostgreSQL logs 32 ahead,
  // and a database restored from a copy resumes past them).
  t.ok(report.catalogVersion > before.version!, `a new version (${report.catalogVersion} after ${before.version})`)
  t.match(report, {
    status: 'succeeded',
    regions: ['us-east-1', 'eu-west-1'],
    instanceTypes: { total: expectedTypes, added: 2, removed: dropped.length, addedNames: ['zz9.large', 'zz9.xlarge'] },
    prices: { byRegion: { 'eu-west-1': expectedTypes - 2 } },
    skipped: {},
  })
  t.same(report.instanceTypes.removedNames, [...dropped].sort(), 'the report says what was removed')
  t.equal(report.prices.byRegion['us-east-1'], seedUsPrices.filter((p) => !dropped.includes(p.instanceType)).length)
  t.equal(report.prices.total, report.prices.byRegion['us-east-1']! + report.prices.byRegion['eu-west-1']!)
  t.equal(report.instanceTypes.updated, 1, 'only the type whose limits changed counts as updated (the rest round-trip)')
  t.type(report.durationMs, 'number')
  t.ok(fake.requests.every((r) => r.signed && r.status === 200), 'real SDK clients: signed, all answered')
  t.ok(fake.requests.filter((r) => r.service === 'ec2').length >= 28, 'every DescribeInstanceTypes page of both regions')

  // the database
  const after = await snapshotOf(db)
  t.equal(after.version, report.catalogVersion)
  t.equal(after.types, expectedTypes)
  const types = new Map((await readInstanceTypes(db)).map((it) => [it.name, it]))
  t.match(types.get(trunked.name), { trunking: true, branchEnis: trunked.branchEnis, maxEnis: trunked.maxEnis }, 'branch-ENI limits kept')
  t.match(types.get('m5.large'), { ipv4PerEni: 12, trunking: true, branchEnis: 9 }, 'a changed limit lands, branch ENIs stay')
  t.match(types.get('zz9.large'), { trunking: false, branchEnis: 0, maxEnis: 4, ipv4PerEni: 15 }, 'a new type gets no branch ENIs')
  for (const name of dropped) t.notOk(types.has(name), `${name} removed`)
  const { rows: sources } = await db.query<{ source: string }>('SELECT DISTINCT source FROM instance_types')
  t.same(sources.map((r) => r.source), ['aws'])
  // Regions not refreshed keep their prices, but not those of types the catalog no longer has (the
  // types removed now, and the few the seed prices without ENI limits): deleted with the new version,
  // and reported.
  const catalogNames = new Set(types.keys())
  t.same(
    after.prices.filter((p) => p.region === 'us-gov-west-1'),
    usGovBefore.filter((p) => catalogNames.has(p.instanceType)),
    'regions not refreshed keep their prices of types still in the catalog',
  )
  const goneByRegion: Record<string, number> = {}
  for (const p of before.prices) {
    if (p.region === 'us-east-1' || p.region === 'eu-west-1' || catalogNames.has(p.instanceType)) continue
    goneByRegion[p.region] = (goneByRegion[p.region] ?? 0) + 1
  }
  t.ok((goneByRegion['us-gov-west-1'] ?? 0) > 0, 'the seed prices some removed types in us-gov-west-1')
  t.same(report.prices.droppedWithTypes, { total: Object.values(goneByRegion).reduce((a, b) => a + b, 0), byRegion: goneByRegion }, 'the report says how many went, where')
  t.notOk(after.prices.some((p) => !catalogNames.has(p.instanceType) && p.region !== 'us-east-1' && p.region !== 'eu-west-1'), 'no price left behind for a type that is gone')
  const m5 = seedUsPrices.find((p) => p.instanceType === 'm5.large')!
  t.equal(after.prices.find((p) => p.region === 'us-east-1' && p.instanceType === 'm5.large')?.usdPerHour, newUsd(m5.usdPerHour))
  t.equal(after.prices.find((p) => p.region === 'us-east-1')?.source, 'aws-pricing-api')

  // the run record
  const [run] = await listRefreshRuns(db, 5)
  t.match(run, {
    id: report.runId,
    status: 'succeeded',
    regions: ['us-east-1', 'eu-west-1'],
    instanceTypes: expectedTypes,
    prices: report.prices.total,
    skipped: {},
    error: null,
    catalogVersion: report.catalogVersion,
  })
  t.ok(run!.finishedAt && run!.finishedAt >= run!.startedAt)
  const { rows: versions } = await db.query<{ source: string; note: string }>('SELECT source, note FROM catalog_versions ORDER BY version DESC LIMIT 1')
  t.equal(versions[0]!.source, 'aws')
  t.match(versions[0]!.note, new RegExp(`refresh run ${report.runId}.*removed ${dropped.length}`))

  // the app: a new version in memory without a restart (the notification, not the 30 s poll)
  await waitFor('the app to load the new catalog', () => app.ctx.catalog.current().version === report.catalogVersion)
  const snap = app.ctx.catalog.current()
  t.equal(snap.price('us-east-1', 'm5.large')?.usdPerHour, newUsd(m5.usdPerHour), 'the app serves the new price')
  t.equal(snap.instanceType(trunked.name)?.branchEnis, trunked.branchEnis)
  t.equal(snap.instanceType(dropped[0]!), undefined)
  t.ok(snap.hasRegion('eu-west-1'))
  const ready = await app.inject('/readyz')
  t.equal(ready.json().catalogVersion, report.catalogVersion)
})

t.test('AWS failing half-way leaves the catalog untouched and the run recorded as failed', async (t) => {
  await app.ctx.catalog.reloadIfChanged()
  const before = await snapshotOf(db)

  t.test('EC2 fails after page 5', async (t) => {
    scenario({ ...catalogScenario(), ec2Failure: { afterPage: 5, kind: 'http500' } })
    const err = await runRefresh(db, ['us-east-1'], { awsOptions: awsOptions() }).catch((e) => e)
    t.ok(err instanceof RefreshFailedError, err.message)
    t.match(err.message, /refresh run \d+ failed, the catalog is unchanged: fetching from AWS failed: DescribeInstanceTypes for us-east-1 failed on page 6/)
    t.same(await snapshotOf(db), before, 'same version, same types, same prices')
    const [run] = await listRefreshRuns(db, 1)
    t.match(run, { id: err.runId, status: 'failed', catalogVersion: null, error: /DescribeInstanceTypes for us-east-1 failed on page 6/ })
    t.ok(run!.finishedAt)
  })

  t.test('the Price List API drops the connection after page 3', async (t) => {
    scenario({ ...catalogScenario(), pricingFailure: { afterPage: 3, kind: 'reset' } })
    const err = await runRefresh(db, ['us-east-1'], { awsOptions: awsOptions() }).catch((e) => e)
    t.ok(err instanceof RefreshFailedError)
    t.match(err.message, /GetProducts \(shared\) for us-east-1 failed on page 4/)
    t.same(await snapshotOf(db), before)
    t.match((await listRefreshRuns(db, 1))[0], { status: 'failed', error: /GetProducts/ })
  })

  t.test('a crash leaves a running row: the row is written before AWS is called', async (t) => {
    let seen: unknown
    const report = await runRefresh(db, ['us-east-1'], {
      fetch: async () => {
        seen = (await listRefreshRuns(db, 1))[0]
        throw new Error('simulated crash')
      },
    }).catch((e) => e)
    t.match(seen, { status: 'running', finishedAt: null, regions: ['us-east-1'] })
    t.match(report, { name: 'RefreshFailedError', message: /simulated crash/ })
  })

  t.equal(app.ctx.catalog.current().version, before.version, 'the app still serves the previous version')
})

t.test('sanity gates refuse a result that would empty the catalog', async (t) => {
  await resetToSeed()
  const before = await snapshotOf(db)
  const total = seed.instanceTypes.length

  t.test('the API returns only 5 instance types', async (t) => {
    scenario(catalogScenario({ onlyTypes: 5 }))
    const err = await runRefresh(db, ['us-east-1'], { awsOptions: awsOptions() }).catch((e) => e)
    t.ok(err instanceof RefreshRefusedError, err.message)
    t.match(err.message, new RegExp(`${total - 5} of ${total} instance types \\(99\\.6 %\\) would disappear, more than the 10 % allowed`))
    t.match(err.message, /the catalog is unchanged/)
    t.same(await snapshotOf(db), before, 'nothing written')
    const [run] = await listRefreshRuns(db, 1)
    t.match(run, { id: err.runId, status: 'refused', catalogVersion: null, instanceTypes: 5, error: /99\.6 %/ })
  })

  t.test('half of a region’s prices are missing', async (t) => {
    scenario(catalogScenario({ usPriceShare: 0.5 }))
    const err = await runRefresh(db, ['us-east-1'], { awsOptions: awsOptions() }).catch((e) => e)
    t.ok(err instanceof RefreshRefusedError)
    const dropped = seedUsPrices.length - Math.floor(seedUsPrices.length * 0.5)
    t.match(err.message, new RegExp(`${dropped} of ${seedUsPrices.length} prices in us-east-1 \\(50\\.\\d %\\) would disappear`))
    t.same(await snapshotOf(db), before)
  })

  t.test('the thresholds are options', async (t) => {
    scenario(catalogScenario({ usPriceShare: 0.5 }))
    const report = await runRefresh(db, ['us-east-1'], { awsOptions: awsOptions(), maxPriceDropShare: 0.6 })
    t.equal(report.catalogVersion, before.version! + 1)
    t.equal(report.prices.byRegion['us-east-1'], Math.floor(seedUsPrices.length * 0.5))
  })
})

t.test('only one refresh at a time', async (t) => {
  const pgliteSkip =
    backend === 'pglite' && 'PGlite is one connection in one process, so no other session can hold the lock; runs when DATABASE_URL is set'
  t.test('the advisory lock held by another session (another replica)', { skip: pgliteSkip }, async (t) => {
    const before = await snapshotOf(db)
    const other = new pg.Client({ connectionString: url! })
    await other.connect()
    t.teardown(() => other.end())
    await other.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCKS.refresh])

    scenario(catalogScenario())
    const err = await runRefresh(db, ['us-east-1'], { awsOptions: awsOptions() }).catch((e) => e)
    t.ok(err instanceof RefreshInProgressError, err.message)
    t.match(err.message, /another catalog refresh is in progress.*refused and the catalog is unchanged/)
    t.same(await snapshotOf(db), before)
    t.match((await listRefreshRuns(db, 1))[0], { id: err.runId, status: 'refused', error: /another catalog refresh is in progress/ })

    await other.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCKS.refresh])
    const report = await runRefresh(db, ['us-east-1'], { awsOptions: awsOptions() })
    t.equal(report.catalogVersion, before.version! + 1, 'once the lock is free the refresh goes through')
  })

  t.test('a second refresh in the same process while one runs', async (t) => {
    const { fetch, started, release } = gatedFetch()
    const first = runRefresh(db, ['us-east-1'], { fetch })
    await started
    const err = await runRefresh(db, ['us-east-1'], { fetch: async () => seedAsFetched() }).catch((e) => e)
    t.ok(err instanceof RefreshInProgressError)
    t.equal(err.statusCode, 409)
    release()
    const report = await first
    t.equal(report.status, 'succeeded')
    const runs = new Map((await listRefreshRuns(db, 2)).map((r) => [r.id, r.status]))
    t.equal(runs.get(err.runId), 'refused', 'the loser is recorded')
    t.equal(runs.get(report.runId), 'succeeded')
  })
})

// ------------------------------------------------------------------ deadlines

/** Waits until the fake holds no request open: the client gave up on it. */
async function noneHanging(): Promise<number> {
  for (let i = 0; i < 100 && fake.hanging() > 0; i++) await new Promise((r) => setTimeout(r, 10))
  return fake.hanging()
}

t.test('a run past its deadline (REFRESH_TIMEOUT_SECONDS) is stopped, recorded as failed, and the next one goes', async (t) => {
  const before = await snapshotOf(db)

  t.test('AWS accepts and never answers', async (t) => {
    scenario({ ...catalogScenario(), ec2Failure: { afterPage: 0, kind: 'hang' } })
    const started = Date.now()
    const err = await runRefresh(db, ['us-east-1'], { awsOptions: awsOptions(), timeoutMs: 1000 }).catch((e) => e)
    const ms = Date.now() - started
    t.ok(err instanceof RefreshTimeoutError, err.message)
    t.ok(err instanceof RefreshFailedError, 'a kind of RefreshFailedError (the CLI exits 1)')
    t.equal(err.statusCode, 504)
    t.match(
      err.message,
      /^refresh run \d+ failed, the catalog is unchanged: timed out after 1 s, the deadline set by REFRESH_TIMEOUT_SECONDS, while fetching from AWS: DescribeInstanceTypes for us-east-1 was stopped on page 1; the run was stopped$/,
    )
    t.ok(ms >= 950 && ms < 5000, `ended at the deadline (${ms} ms)`)
    t.same(fake.requests.map((r) => r.status), ['hang'], 'the first request held, not retried after the deadline')
    t.equal(await noneHanging(), 0, 'the request in flight was destroyed')
    t.same(await snapshotOf(db), before, 'nothing written')
    t.match(await runRow(err.runId), { status: 'failed', error: /timed out after 1 s.*REFRESH_TIMEOUT_SECONDS/ })
    t.ok((await runRow(err.runId))?.finished_at)
  })

  t.test('a fetch that ignores the signal cannot hold the run either', async (t) => {
    const started = Date.now()
    const err = await runRefresh(db, ['us-east-1'], { fetch: () => new Promise<never>(() => {}), timeoutMs: 300 }).catch((e) => e)
    t.ok(err instanceof RefreshTimeoutError, err.message)
    t.match(err.message, /timed out after 0\.3 s, the deadline set by REFRESH_TIMEOUT_SECONDS, while fetching from AWS; the run was stopped$/)
    t.ok(Date.now() - started < 4000)
    t.equal((await runRow(err.runId))?.status, 'failed')
  })

  t.test('AWS requests that time out, retries included, are a timeout too (504), before the deadline', async (t) => {
    scenario({ ...catalogScenario(), ec2Failure: { afterPage: 0, kind: 'hang' } })
    const env: Record<string, string | undefined> = {
      AWS_ENDPOINT_URL: fake.url,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_EC2_METADATA_DISABLED: 'true',
    }
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
    const apply = (vars: Record<string, string | undefined>) => {
      for (const [k, v] of Object.entries(vars)) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    }
    apply(env)
    t.teardown(() => apply(saved))
    // The clients built by the AWS source (no injected ones), with their request timeout shortened.
    const started = Date.now()
    const err = await runRefresh(db, ['us-east-1'], {
      awsOptions: { requestTimeoutMs: 200, retryStrategy: fastRetry(2) },
      timeoutMs: 20_000,
    }).catch((e) => e)
    t.ok(err instanceof RefreshTimeoutError, err.message)
    t.match(err.message, /AWS did not answer in time: DescribeInstanceTypes for us-east-1 failed on page 1: TimeoutError: .*200 ms requestTimeout.*REFRESH_TIMEOUT_SECONDS, 20 s/)
    t.ok(Date.now() - started < 10_000, 'long before the deadline')
    t.same(fake.requests.map((r) => r.status), ['hang', 'hang'], 'each attempt timed out')
    t.equal(await noneHanging(), 0)
    t.same(await snapshotOf(db), before)
  })

  t.test('stopped from outside (shutdown): 503, recorded as failed', async (t) => {
    scenario({ ...catalogScenario(), pricingFailure: { afterPage: 0, kind: 'hang' } })
    const stop = new AbortController()
    const running = runRefresh(db, ['us-east-1'], { awsOptions: awsOptions(), signal: stop.signal }).catch((e) => e)
    await waitFor('the Price List call to hang', () => fake.requests.some((r) => r.service === 'pricing' && r.status === 'hang'), 20_000)
    stop.abort('the service is shutting down')
    const err = await running
    t.ok(err instanceof RefreshStoppedError, err.message)
    t.equal(err.statusCode, 503)
    t.match(err.message, /the catalog is unchanged: stopped while fetching from AWS \(the service is shutting down\): GetProducts \(shared\) for us-east-1 was stopped on page 1$/)
    t.match(await runRow(err.runId), { status: 'failed', error: /stopped while fetching from AWS/ })
    t.equal(await noneHanging(), 0)
  })

  t.test(
    'the deadline while the write waits for a lock: rolled back, nothing lands',
    { skip: backend === 'pglite' && 'PGlite is one session: nothing else can hold a lock the write waits for; runs when DATABASE_URL is set' },
    async (t) => {
      const holder = new pg.Client({ connectionString: url! })
      await holder.connect()
      t.teardown(() => holder.end())
      await holder.query('BEGIN')
      await holder.query('LOCK TABLE catalog_versions IN SHARE MODE')
      const started = Date.now()
      const err = await runRefresh(db, ['us-east-1'], { fetch: async () => seedAsFetched(), timeoutMs: 1500 }).catch((e) => e)
      const ms = Date.now() - started
      t.ok(err instanceof RefreshTimeoutError, err.message)
      t.match(err.message, /the catalog is unchanged: timed out after 1\.5 s, the deadline set by REFRESH_TIMEOUT_SECONDS, while writing the catalog; the run was stopped/)
      t.ok(ms < 6000, `${ms} ms`)
      // The server cancels the statement at the deadline (statement_timeout), while the lock is still held.
      let waiting = -1
      for (let i = 0; i < 50 && waiting !== 0; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 20))
        const { rows } = await holder.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        waiting = rows[0]!.n
      }
      t.equal(waiting, 0, 'no statement of the refresh is still waiting for the lock')
      await holder.query('ROLLBACK')
      await new Promise((r) => setTimeout(r, 200))
      t.same(await snapshotOf(db), before, 'nothing landed, not even after the lock went')
      t.equal((await runRow(err.runId))?.status, 'failed')
    },
  )

  t.test('the next refresh is not refused', async (t) => {
    const report = await runRefresh(db, ['us-east-1'], { fetch: async () => seedAsFetched(), timeoutMs: 60_000 })
    t.equal(report.status, 'succeeded')
    t.equal(report.catalogVersion, before.version! + 1)
  })
})

// ------------------------------------------------------------------ runs left running

t.test('runs left running by a process that is gone are closed when anyone looks', async (t) => {
  const insert = async (owner: string | null, heartbeatAgo: string | null, startedAgo: string) => {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO refresh_runs (regions, status, owner, heartbeat_at, started_at)
       VALUES ('{us-east-1}', 'running', $1, now() - $2::interval, now() - $3::interval) RETURNING id`,
      [owner, heartbeatAgo, startedAgo],
    )
    return Number(rows[0]!.id)
  }
  const gone = await insert('gone-host pid 7 #deadbeef', `${RUN_STALE_AFTER_MS / 1000 + 5} seconds`, '2 minutes')
  const legacy = await insert(null, null, '2 hours') // from before migration 002: no owner, no heartbeat
  const elsewhere = await insert('other-replica pid 1 #cafe0001', '1 second', '10 seconds')

  // A refresh starting closes them first; one running in this process is never taken for dead.
  const { fetch, started, release } = gatedFetch()
  const running = runRefresh(db, ['us-east-1'], { fetch, heartbeatMs: 30 }).catch((e) => e)
  await started
  t.match(await runRow(gone), { status: 'failed', error: 'abandoned: its process (gone-host pid 7 #deadbeef) is gone; nothing was written' })
  t.ok((await runRow(gone))?.finished_at)
  t.match(await runRow(legacy), { status: 'failed', error: 'abandoned: its process (unknown) is gone; nothing was written' })
  if (backend === 'pglite') {
    t.match(await runRow(elsewhere), { status: 'failed', error: /its process \(other-replica pid 1 #cafe0001\) is gone/ }, 'the embedded database belongs to this process: any other owner is gone')
  } else {
    t.equal((await runRow(elsewhere))?.status, 'running', "another replica's run with a fresh heartbeat is left alone")
    await db.query("UPDATE refresh_runs SET status = 'failed', finished_at = now() WHERE id = $1", [elsewhere])
  }

  // Listing closes them too, and leaves the live run alone.
  const late = await insert('crashed-cli pid 99 #0badf00d', '1 hour', '1 hour')
  const runs = await listRefreshRuns(db, 10)
  const live = runs.find((r) => r.status === 'running')
  t.ok(live, 'the run in progress is listed as running')
  t.match(runs.find((r) => r.id === late), { status: 'failed', error: /abandoned: its process \(crashed-cli pid 99 #0badf00d\) is gone/ })
  const row = await runRow(live!.id)
  t.match(row?.owner, new RegExp(`pid ${process.pid} #[0-9a-f]{8}$`), 'the run says who runs it')
  const firstBeat = row!.heartbeat_at!.getTime()
  await new Promise((r) => setTimeout(r, 200))
  t.ok((await runRow(live!.id))!.heartbeat_at!.getTime() > firstBeat, 'and beats while it runs')

  release()
  const report = await running
  t.equal(report.status, 'succeeded', report.message)
  t.equal((await runRow(live!.id))?.status, 'succeeded')
})

// ------------------------------------------------------------------ the database does not answer

t.test('a database that does not answer: 503 within the query timeout, its address never told', async (t) => {
  const frozen: Db = { ...db, query: () => new Promise<never>(() => {}), tx: () => new Promise<never>(() => {}) }
  let fetched = 0
  const started = Date.now()
  const err = await runRefresh(frozen, ['us-east-1'], {
    dbTimeoutMs: 200,
    fetch: async () => {
      fetched++
      return seedAsFetched()
    },
  }).catch((e) => e)
  t.ok(err instanceof DatabaseUnavailableError, err.message)
  t.equal(err.statusCode, 503)
  t.equal(err.message, `the database does not answer (${db.kind}: no answer within 0.2 s); nothing was refreshed`)
  t.equal(fetched, 0, 'AWS is not called when the run cannot be recorded')
  const listed = await listRefreshRuns(frozen, 5, { dbTimeoutMs: 200 }).catch((e) => e)
  t.ok(listed instanceof DatabaseUnavailableError)
  t.equal(listed.message, `the database does not answer (${db.kind}: no answer within 0.2 s); the refresh runs cannot be listed`)
  t.ok(Date.now() - started < 5000, 'both within their query timeout')

  const broken: Db = { ...db, query: async () => Promise.reject(Object.assign(new Error('relation "refresh_runs" does not exist'), { code: '42P01' })) }
  await t.rejects(listRefreshRuns(broken, 5), { code: '42P01' }, 'a statement the database refuses is a bug (500), not an outage')

  const reasons: [unknown, string | null][] = [
    [Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432'), { code: 'ECONNREFUSED' }), 'connection refused'],
    [Object.assign(new Error('getaddrinfo ENOTFOUND db.internal'), { code: 'ENOTFOUND' }), 'its host name does not resolve'],
    [Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'connection error ECONNRESET'],
    [new Error('timeout exceeded when trying to connect'), 'no connection within the connection timeout'],
    [new Error('Connection terminated unexpectedly'), 'the connection was lost'],
    [Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), 'it is shutting down or starting up (SQLSTATE 57P01)'],
    [Object.assign(new Error('sorry, too many clients already'), { code: '53300' }), 'it is out of resources (SQLSTATE 53300)'],
    [Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }), 'the statement was cancelled (SQLSTATE 57014)'],
    [Object.assign(new Error('x'), { code: '08006' }), 'connection failure (SQLSTATE 08006)'],
    [Object.assign(new Error('syntax error'), { code: '42601' }), null],
  ]
  for (const [e, want] of reasons) t.equal(databaseDownReason(e), want, (e as Error).message)
})

// ------------------------------------------------------------------ every price kind, several regions (issue 20)

const RESERVED_TERMS = (rate: number): ReservedTermSpec[] => [
  { length: '1yr', offeringClass: 'standard', purchaseOption: 'No Upfront', hourly: rate.toFixed(6) },
  { length: '1yr', offeringClass: 'convertible', purchaseOption: 'No Upfront', hourly: (rate * 1.1).toFixed(6) },
  { length: '3yr', offeringClass: 'standard', purchaseOption: 'All Upfront', hourly: '0.0000000000', upfront: '500' },
]
const KIND_REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1'] as const
const ZONES = ['a', 'b', 'c']

/** What AWS answers for KIND_REGIONS: every seed type described; priced on demand where the seed prices
 * it (us-east-1, eu-west-1: a drop would be refused) and, in ap-south-1, new to the catalog, 60 types;
 * reserved at 0.6 of that, spot in three AZs, and gp3. */
function kindsScenario() {
  const instanceTypes = seed.instanceTypes.map((it) => typeXml(it))
  const products: string[] = []
  const spotPrices: Record<string, FakeSpotPrice[]> = {}
  KIND_REGIONS.forEach((region, r) => {
    const priced =
      region === 'ap-south-1'
        ? seed.instanceTypes.slice(0, 60).map((it, i) => ({ name: it.name, usd: 0.05 + i / 10_000 }))
        : seed.prices.filter((p) => p.region === region).map((p) => ({ name: p.instanceType, usd: newUsd(p.usdPerHour) }))
    spotPrices[region] = []
    for (const { name, usd } of priced) {
      products.push(productJson(name, usd.toFixed(6), { region, reservedTerms: RESERVED_TERMS(usd * 0.6) }))
      ZONES.forEach((z, k) => spotPrices[region]!.push(spotPrice(name, `${region}${z}`, (usd * (0.3 + k / 10)).toFixed(6))))
    }
    products.push(storageProductJson(region, (0.08 + r / 100).toFixed(4)))
  })
  return { instanceTypes, products, spotPrices }
}

async function countVersions(): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM catalog_versions')
  return rows[0]!.n
}

t.test('a refresh of several regions with spot and reserved prices lands as one catalog version', async (t) => {
  await resetToSeed()
  await app.ctx.catalog.reloadIfChanged()
  const versionsBefore = await countVersions()
  scenario(kindsScenario())

  const report = await runRefresh(db, [...KIND_REGIONS], { awsOptions: awsOptions() })
  t.equal(await countVersions(), versionsBefore + 1, 'one new version, whatever the kinds and regions')
  const us = seedUsPrices.length
  const eu = seed.prices.filter((p) => p.region === 'eu-west-1').length
  const types = 60
  t.same(report.prices.byCapacityType, {
    'us-east-1': { 'on-demand': us, spot: us, 'reserved-1y': us },
    'eu-west-1': { 'on-demand': eu, spot: eu, 'reserved-1y': eu },
    'ap-south-1': { 'on-demand': types, spot: types, 'reserved-1y': types },
  })
  t.equal(report.prices.total, 3 * (us + eu + types))
  t.same(report.storagePrices, { total: 3, byRegion: { 'us-east-1': 1, 'eu-west-1': 1, 'ap-south-1': 1 } })
  t.same(report.notEnabled, [])
  t.same(report.skipped, {})

  // the database: every row in the version just written
  const prices = await readPrices(db)
  const first = seed.instanceTypes[0]!.name
  const m5 = (region: string, kind: string) => prices.find((p) => p.region === region && p.instanceType === first && (p.capacityType ?? 'on-demand') === kind)
  const od = m5('ap-south-1', 'on-demand')!
  t.match(m5('ap-south-1', 'reserved-1y'), { usdPerHour: Math.round(od.usdPerHour * 0.6 * 1e6) / 1e6, source: 'aws-pricing-api' }, 'the 1-year standard no-upfront term, not the convertible one')
  t.match(m5('ap-south-1', 'spot'), {
    usdPerHour: Math.round(od.usdPerHour * 0.4 * 1e6) / 1e6,
    azCount: 3,
    spotTimestamp: '2026-10-31T08:00:00.000Z',
    source: 'aws-ec2-spot-price-history',
  }, 'the median of the three AZs')
  t.same(
    (await readStoragePrices(db)).filter((p) => KIND_REGIONS.includes(p.region as never)).map((p) => [p.region, p.usdPerGbMonth]),
    [['ap-south-1', 0.1], ['eu-west-1', 0.09], ['us-east-1', 0.08]],
  )
  const [run] = await listRefreshRuns(db, 1)
  t.match(run, { id: report.runId, status: 'succeeded', regions: [...KIND_REGIONS], prices: report.prices.total })

  // the app serves every kind from the new version
  await waitFor('the app to load the new catalog', () => app.ctx.catalog.current().version === report.catalogVersion)
  const snap = app.ctx.catalog.current()
  t.equal(snap.price('eu-west-1', 'm5.large', 'spot')?.azCount, 3)
  t.ok(snap.price('eu-west-1', 'm5.large', 'reserved-1y'))
  t.equal(snap.price('ap-south-1', first, 'spot')?.usdPerHour, m5('ap-south-1', 'spot')?.usdPerHour)
  t.equal(snap.gp3Price('us-east-1')?.usdPerGbMonth, 0.08)
  t.match(snap.regionPrices('ap-south-1')?.byCapacityType, { 'on-demand': { prices: types }, spot: { prices: types }, 'reserved-1y': { prices: types } })
})

t.test('a refresh with one region failing lands nothing, of any kind, in any region', async (t) => {
  await app.ctx.catalog.reloadIfChanged()
  const before = { version: (await currentVersion(db))?.version, prices: await readPrices(db), storage: await readStoragePrices(db), versions: await countVersions() }
  const failures = [
    { region: 'ap-south-1', operation: 'DescribeSpotPriceHistory' },
    { region: 'eu-west-1', operation: 'GetProducts' },
    { region: 'us-east-1', operation: 'DescribeInstanceTypes' },
  ] as const
  for (const regionFailure of failures) {
    scenario({ ...kindsScenario(), regionFailure })
    const err = await runRefresh(db, [...KIND_REGIONS], { awsOptions: awsOptions() }).catch((e) => e)
    t.ok(err instanceof RefreshFailedError, `${regionFailure.operation} in ${regionFailure.region}: ${err.message}`)
    t.match(err.message, new RegExp(`the catalog is unchanged: fetching from AWS failed: ${regionFailure.operation}.* for ${regionFailure.region} failed on page 1`))
    t.match((await listRefreshRuns(db, 1))[0], { id: err.runId, status: 'failed', catalogVersion: null })
  }
  t.equal(await countVersions(), before.versions, 'no version written')
  t.equal((await currentVersion(db))?.version, before.version)
  t.same(await readPrices(db), before.prices, 'every price of every kind as it was')
  t.same(await readStoragePrices(db), before.storage)
})

t.test('a refresh of every region: the regions the Price List API knows, recorded by name', async (t) => {
  await resetToSeed()
  scenario({ synthetic: { regions: ['us-east-1', 'eu-central-1', 'sa-east-1'], typesPerRegion: 40, notOptedIn: ['sa-east-1'] } })
  t.teardown(() => scenario({}))
  t.ok(asksForAllRegions(ALL_REGIONS) && asksForAllRegions(['all']) && !asksForAllRegions(['all', 'us-east-1']))

  // The synthetic types replace the seed's: this run allows any drop.
  const report = await runRefresh(db, ['all'], { awsOptions: awsOptions(), maxDropShare: 1 })
  t.same(report.regions, ['eu-central-1', 'sa-east-1', 'us-east-1'])
  t.same(report.notEnabled, ['sa-east-1'])
  t.same(report.prices.byCapacityType['sa-east-1'], { 'on-demand': 40, spot: 0, 'reserved-1y': 40 }, 'no spot where EC2 cannot be asked')
  t.same(report.prices.byCapacityType['eu-central-1'], { 'on-demand': 40, spot: 40, 'reserved-1y': 40 })
  t.match(report.skipped, { 'region-code-govcloud': 2, 'region-code-not-a-region': 3 })
  const [run] = await listRefreshRuns(db, 1)
  t.match(run, { id: report.runId, status: 'succeeded', regions: ['eu-central-1', 'sa-east-1', 'us-east-1'] })
  t.ok(fake.requests.some((r) => r.operation === 'AWSPriceListService.GetAttributeValues'))
  t.ok(fake.requests.some((r) => r.operation === 'DescribeRegions'))
  t.notOk(fake.requests.some((r) => r.service === 'ec2' && r.signingRegion === 'sa-east-1'))
  await resetToSeed()
})

t.test('a refresh that replaces the types drops, in the same version, the prices of types that are gone in regions it did not refresh', async (t) => {
  // Every commercial region of the fake (three here), whose synthetic types replace every seed type: the
  // seed's GovCloud prices (and us-west-2's, eu-west-1's) are all of types the catalog no longer has.
  await resetToSeed()
  await app.ctx.catalog.reloadIfChanged()
  const versionsBefore = await countVersions()
  scenario({ synthetic: { regions: ['us-east-1', 'eu-central-1', 'sa-east-1'], typesPerRegion: 40 } })
  t.teardown(() => scenario({}))
  const refreshed = new Set(['us-east-1', 'eu-central-1', 'sa-east-1'])
  const left: Record<string, number> = {}
  for (const p of await readPrices(db)) if (!refreshed.has(p.region)) left[p.region] = (left[p.region] ?? 0) + 1
  t.ok(left['us-gov-east-1']! > 0 && left['us-gov-west-1']! > 0, `the seed prices GovCloud (${JSON.stringify(left)})`)

  const report = await runRefresh(db, ['all'], { awsOptions: awsOptions(), maxDropShare: 1 })
  t.same(report.prices.droppedWithTypes, { total: Object.values(left).reduce((a, b) => a + b, 0), byRegion: left }, 'reported per region')
  t.equal(await countVersions(), versionsBefore + 1, 'one version: the drop lands with the refresh')

  const prices = await readPrices(db)
  t.same([...new Set(prices.map((p) => p.region))].sort(), [...refreshed].sort(), 'no region keeps prices of types that are gone')
  const names = new Set((await readInstanceTypes(db)).map((it) => it.name))
  t.ok(prices.every((p) => names.has(p.instanceType)), 'every price is of a type in the catalog')
  t.equal(prices.length, report.prices.total, 'what is left is what the refresh wrote')
  const { rows } = await db.query<{ note: string; prices: number }>('SELECT note, prices FROM catalog_versions ORDER BY version DESC LIMIT 1')
  t.match(rows[0]!.note, new RegExp(`deleted ${report.prices.droppedWithTypes.total} price\\(s\\) of types no longer in the catalog in regions not refreshed \\(eu-west-1 \\d+, us-gov-east-1 \\d+, us-gov-west-1 \\d+`))
  t.equal(rows[0]!.prices, report.prices.total, 'the version counts the prices that are left')

  // The app serves the new version: GovCloud is no longer listed among the priced regions.
  await waitFor('the app to load the new catalog', () => app.ctx.catalog.current().version === report.catalogVersion)
  const snap = app.ctx.catalog.current()
  t.same(snap.regions.map((r) => r.region).filter((r) => r.startsWith('us-gov-')), [])
  t.equal(snap.regions.reduce((n, r) => n + Object.values(r.byCapacityType).reduce((m, k) => m + k.prices, 0), 0), report.prices.total)

  // A refresh of one region later: nothing is gone, nothing dropped.
  scenario({ synthetic: { regions: ['us-east-1', 'eu-central-1', 'sa-east-1'], typesPerRegion: 40 } })
  const again = await runRefresh(db, ['eu-central-1'], { awsOptions: awsOptions() })
  t.same(again.prices.droppedWithTypes, { total: 0, byRegion: {} })
  t.equal((await readPrices(db)).length, report.prices.total)
  await resetToSeed()
})

t.test('a refresh of every region whose region list fails records ["all"] and writes nothing', async (t) => {
  const before = await countVersions()
  scenario({ regionCodes: ['us-east-1'], pricingThrottle: { count: 100 } })
  const err = await runRefresh(db, ALL_REGIONS, { awsOptions: aws.options(1) }).catch((e) => e)
  t.ok(err instanceof RefreshFailedError, err.message)
  t.match(err.message, /GetAttributeValues \(regionCode\) for the Price List API failed on page 1: ThrottlingException/)
  t.match((await listRefreshRuns(db, 1))[0], { status: 'failed', regions: ['all'] })
  t.equal(await countVersions(), before)
})
