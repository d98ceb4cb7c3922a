import t from 'tap'
import pg from 'pg'
import { readFileSync } from 'node:fs'
import { fetchCatalog, type AwsSourceOptions } from '../../src/catalog/aws-source.js'
import { instanceTypeXml, resetScenario, sdkClients } from '../fakes/aws-fixtures.js'
import {
  listRefreshRuns,
  RefreshFailedError,
  RefreshInProgressError,
  RefreshRefusedError,
  runRefresh,
  validateRegions,
} from '../../src/catalog/refresh.js'
import { currentVersion, readInstanceTypes, readPrices } from '../../src/catalog/repository.js'
import type { SeedFile } from '../../src/catalog/seed.js'
import { ADVISORY_LOCKS, type Db } from '../../src/db/db.js'
import { InputError, type InstanceType } from '../../src/domain/types.js'
import { productJson, startFakeAws, type FakeAws } from '../fakes/fake-aws.js'
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
  return { instanceTypes, products }
}

// ------------------------------------------------------------------ the fake and real SDK clients

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
const scenario = (s: Parameters<FakeAws['setScenario']>[0]) => resetScenario(fake, s)

/** A database holding the seed (the app seeds it), and the app serving it from memory. */
async function seeded(t: { teardown(fn: () => unknown): void }) {
  const { db, url } = await freshDatabase(t)
  const app = await buildTestApp(t, { db, env: { CATALOG_POLL_SECONDS: '30' } })
  return { db, url, app }
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
  const bad: unknown[] = [[], 'us-east-1', ['mars'], ['US-EAST-1'], [42], ['cn-north-1'], ['us-gov-west-1'], Array.from({ length: 21 }, (_, i) => `us-east-${i}`)]
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

  const { db } = await seeded(t)
  const err = await runRefresh(db, ['nowhere'], { awsOptions: awsOptions() }).catch((e) => e)
  t.ok(err instanceof InputError)
  t.equal(err.field, 'regions')
  t.match(err.message, /"nowhere" is not a region code/)
  t.equal((await listRefreshRuns(db, 5)).length, 0, 'bad input records no run and calls nothing')
  t.equal(fake.requests.length, 0)
  t.match(await runRefresh(db, ['us-east-1'], { maxDropShare: 2 }).catch((e) => e), { field: 'maxDropShare', message: /from 0 to 1/ })
})

t.test('a full refresh lands whole, bumps the version, keeps branch-ENI limits, and the app serves it', async (t) => {
  const { db, app } = await seeded(t)
  const before = await snapshotOf(db)
  const startedVersion = app.ctx.catalog.current().version
  t.equal(startedVersion, before.version)

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
  t.match(report, {
    status: 'succeeded',
    catalogVersion: before.version! + 1,
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
  t.same(
    after.prices.filter((p) => p.region === 'us-gov-west-1'),
    usGovBefore,
    'regions not refreshed keep their prices',
  )
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
  const { db, app } = await seeded(t)
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
  const { db } = await seeded(t)
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
    const { db, url } = await seeded(t)
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
    const { db } = await seeded(t)
    scenario(catalogScenario())
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    let fetching!: () => void
    const started = new Promise<void>((r) => (fetching = r))
    const first = runRefresh(db, ['us-east-1'], {
      awsOptions: awsOptions(),
      fetch: async (regions, opts) => {
        fetching()
        await gate
        return fetchCatalog(regions, opts)
      },
    })
    await started
    const err = await runRefresh(db, ['us-east-1'], { awsOptions: awsOptions() }).catch((e) => e)
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

t.test('a run abandoned by a dead process is closed by the next refresh', async (t) => {
  const { db } = await freshDatabase(t)
  const { migrate, readMigrations } = await import('../../src/db/migrate.js')
  const { MIGRATIONS_DIR } = await import('../../src/paths.js')
  await migrate(db, await readMigrations(MIGRATIONS_DIR))
  await db.query("INSERT INTO refresh_runs (regions, status, started_at) VALUES ('{us-east-1}', 'running', now() - interval '2 hours')")
  await db.query("INSERT INTO refresh_runs (regions, status, started_at) VALUES ('{us-east-1}', 'running', now() - interval '5 minutes')")
  await runRefresh(db, ['us-east-1'], {
    fetch: async () => {
      throw new Error('AWS is away')
    },
  }).catch(() => {})
  const { rows } = await db.query<{ status: string; error: string | null }>('SELECT status, error FROM refresh_runs ORDER BY id')
  t.match(rows[0], { status: 'failed', error: /abandoned/ }, 'two hours old: abandoned')
  t.equal(rows[1]!.status, 'running', 'five minutes old: may still be fetching, left alone')
  t.equal(rows[2]!.status, 'failed', 'this run failed on its own account')
})
