// The refresh's fetch in a worker thread (src/catalog/fetch-worker.ts): against the fake AWS through the
// clients the worker builds from the environment, it returns what fetchCatalog returns in this thread,
// forwards its log lines, and reports failures, timeouts and aborts as fetchCatalog does, so a refresh
// tells them apart as before.
import t from 'tap'
import { fetchCatalog } from '../../src/catalog/aws-source.js'
import { canFetchInWorker, fetchCatalogInWorker, FETCH_WORKER_RESOURCE_LIMITS } from '../../src/catalog/fetch-worker.js'
import { RefreshTimeoutError, runRefresh } from '../../src/catalog/refresh.js'
import { readPrices } from '../../src/catalog/repository.js'
import { resetScenario, sdkClients } from '../fakes/aws-fixtures.js'
import { fakeAwsEnv, startFakeAws, type FakeAws } from '../fakes/fake-aws.js'
import { freshDatabase } from '../helper.js'

let fake: FakeAws
t.before(async () => {
  fake = await startFakeAws()
})
t.teardown(() => fake.close())

/** The environment a worker's clients read (copied into the worker when it starts). */
function awsEnv(t: { teardown(fn: () => void): void }): void {
  const vars = fakeAwsEnv(fake.url)
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]))
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) delete process.env[k]
      else process.env[k] = x
    }
  }
  apply(vars)
  t.teardown(() => apply(saved))
}

const REGIONS = ['us-east-1', 'eu-central-1', 'sa-east-1']
const synthetic = { synthetic: { regions: REGIONS, typesPerRegion: 30, notOptedIn: ['sa-east-1'] } }

t.test('the worker returns what fetchCatalog returns here, and forwards its log', async (t) => {
  awsEnv(t)
  const clock = new Date('2026-12-01T00:00:00.000Z')
  resetScenario(fake, synthetic)
  const lines: Array<{ level: string; msg?: string }> = []
  const log = { info: (_o: object, msg?: string) => lines.push({ level: 'info', msg }), warn: (_o: object, msg?: string) => lines.push({ level: 'warn', msg }) }
  const before = Date.now()
  const got = await fetchCatalogInWorker('all', { now: () => clock, log, maxAttempts: 1 })
  const took = Date.now() - before
  t.ok(fake.requests.length > 0 && fake.requests.every((r) => r.signed), 'the worker called the fake, signed, with clients of its own')

  const aws = sdkClients(fake)
  t.teardown(() => aws.destroy())
  resetScenario(fake, synthetic)
  const here = await fetchCatalog('all', { ...aws.options(), now: () => clock })

  // The worker's clock keeps the caller's offset but moves: each as-of is the given time plus at most
  // the time the fetch took.
  const asOfs = [...got.prices.map((p) => p.asOf), ...(got.storagePrices ?? []).map((p) => p.asOf)]
  t.ok(asOfs.every((a) => Date.parse(a) >= clock.getTime() && Date.parse(a) <= clock.getTime() + took), 'as-of from the caller’s clock')
  const same = <T extends { asOf: string }>(rows: T[]) => rows.map((r) => ({ ...r, asOf: 'x' }))
  t.same(same(got.prices), same(here.prices), 'the same prices, in the same order, of the same shape')
  t.same(same(got.storagePrices ?? []), same(here.storagePrices ?? []))
  t.same(got.instanceTypes, here.instanceTypes)
  t.same([got.regions, got.notEnabled, got.skipped, got.pages], [here.regions, here.notEnabled, here.skipped, here.pages])
  t.ok(got.prices.some((p) => p.capacityType === 'spot' && p.azCount && p.spotTimestamp), 'spot rows keep their AZ count and timestamp')
  t.ok(got.prices.some((p) => p.capacityType === undefined) && got.prices.some((p) => p.capacityType === 'reserved-1y'))
  t.ok(lines.some((l) => l.level === 'info' && l.msg === 'fetched catalog from AWS'), 'log lines reach the caller’s log')
  t.ok(lines.some((l) => l.level === 'warn' && /not enabled/.test(l.msg ?? '')))
  t.ok(FETCH_WORKER_RESOURCE_LIMITS.maxOldGenerationSizeMb > 0)
})

t.test('injected clients or a retry strategy cannot cross a thread: the fetch runs here', async (t) => {
  const aws = sdkClients(fake)
  t.teardown(() => aws.destroy())
  t.notOk(canFetchInWorker(aws.options()))
  t.ok(canFetchInWorker({ maxAttempts: 2, requestTimeoutMs: 1000 }))
  resetScenario(fake, synthetic)
  const out = await fetchCatalogInWorker(['us-east-1'], aws.options())
  t.equal(out.instanceTypes.length, 30)
})

t.test('a failure comes back as fetchCatalog reports it', async (t) => {
  awsEnv(t)
  resetScenario(fake, { ...synthetic, regionFailure: { region: 'eu-central-1', operation: 'GetProducts' } })
  await t.rejects(fetchCatalogInWorker(REGIONS, { maxAttempts: 1 }), { message: /GetProducts \(shared\) for eu-central-1 failed on page 1: InternalErrorException/ })
})

t.test('an abort stops the worker’s calls at once, and says where', async (t) => {
  awsEnv(t)
  resetScenario(fake, { ...synthetic, pricingFailure: { afterPage: 0, kind: 'hang' } })
  const stop = new AbortController()
  const running = fetchCatalogInWorker(['us-east-1'], { abortSignal: stop.signal, maxAttempts: 1 }).catch((e: Error) => e)
  const until = Date.now() + 20_000
  while (!fake.requests.some((r) => r.service === 'pricing' && r.status === 'hang') && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
  const stopped = Date.now()
  stop.abort(new Error('the service is shutting down'))
  const err = (await running) as Error
  t.equal(err.name, 'AbortError')
  t.match(err.message, /GetProducts \(shared\) for us-east-1 was stopped on page 1/)
  t.ok(Date.now() - stopped < 3000, 'at once')
})

t.test('through a refresh: a request timeout in the worker is a timeout (504), and a whole refresh lands', async (t) => {
  awsEnv(t)
  const { db } = await freshDatabase(t)
  resetScenario(fake, { ...synthetic, ec2Failure: { afterPage: 0, kind: 'hang' } })
  const err = await runRefresh(db, ['us-east-1'], { awsOptions: { requestTimeoutMs: 200, maxAttempts: 1 }, timeoutMs: 20_000 }).catch((e) => e)
  t.ok(err instanceof RefreshTimeoutError, err.message)
  t.match(err.message, /AWS did not answer in time: DescribeInstanceTypes for us-east-1 failed on page 1: TimeoutError/)

  resetScenario(fake, synthetic)
  const report = await runRefresh(db, ['all'], { awsOptions: { maxAttempts: 1 }, maxDropShare: 1 })
  t.same(report.regions, REGIONS.slice().sort())
  t.equal((await readPrices(db)).length, report.prices.total)
  t.same(report.prices.byCapacityType['eu-central-1'], { 'on-demand': 30, spot: 30, 'reserved-1y': 30 })
})
