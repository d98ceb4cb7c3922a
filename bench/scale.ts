// npm run bench:scale: issue 22's scale targets, measured on a catalog of every commercial region with
// all three price kinds (on-demand, spot, reserved-1y). Every answer is computed from one in-memory
// snapshot of the whole catalog, and a refresh rewrites all of it, so the questions are whether that
// stays fast and small when the catalog is as big as AWS's:
//
//  1. a full refresh of every region (POST /v1/admin/refresh {"regions":["all"]}), wall time and the
//     service's resident memory above idle while it runs;                  targets < 60 s, < 150 MiB
//  2. start-up to ready on the now-big database;                            target  < 3 s
//  3. resident memory under a load of misses (a question not asked before on every request: whole-catalog
//     capacity plans, max pods, recommendations), with the answer cache at its default budget;
//                                                    targets < 250 MiB with PostgreSQL, < 350 MiB embedded
//  4. the CPU of one whole-catalog capacity plan in one region, over HTTP (the service's CPU from /proc)
//     and in process (capacityPlanAnswer on a snapshot loaded from the same database);   target < 10 ms
//
// The catalog comes from the fake AWS endpoint the tests use (test/fakes/fake-aws.ts, started here with
// `synthetic`): every commercial region, typesPerRegion instance types, on-demand + twelve reserved terms
// per product document and a spot price per type and AZ, at AWS's own page sizes, generated page by page.
// The service is the built one as a child process, started as `npm start` starts it (package.json "start":
// node, its flags, dist/src/server.js), reaching the fake through AWS_ENDPOINT_URL with its ordinary SDK
// clients (serializers, SigV4, paginators, retries), which a refresh runs in a worker thread of the
// service (src/catalog/fetch-worker.ts): the worker's memory is the service's, and is measured with it.
//
// The refresh measured is a steady-state one (the full catalog replaced by a full catalog, as the daily
// job does). The first refresh, from the seed's real instance types to the synthetic ones, would drop
// every seed type, which the refresh's sanity gate refuses over HTTP (more than 10 % of the types would
// disappear); it is run before, by the CLI (`scripts/refresh.ts --max-drop-percent 100`), and reported
// for information only.
//
// Backends: the embedded default (PGlite in a temporary DATA_DIR), and a PostgreSQL server when
// BENCH_DATABASE_URL names one the bench may create databases on (it creates cni_bench_scale there and
// drops it at the end). The service runs pinned to the last core and this process (the fake AWS and the
// load generator) to the others, when taskset exists, as bench/run.ts does.
//
//   BENCH_SCALE_TYPES        instance types per region (default 800, the fake's default)
//   BENCH_SCALE_SECONDS      miss load duration (default 60)
//   BENCH_SCALE_CONNECTIONS  miss load connections (default 16)
//   BENCH_SCALE_PLANS        whole-catalog plans measured for CPU (default 30)
//   BENCH_DATABASE_URL       also measure against this PostgreSQL server
//   BENCH_SCALE_CPU_PROF     <dir>: the services run under node --cpu-prof and write their profiles there
//                            (summarise with dist/bench/profile-summary.js); an experiment
//   BENCH_SCALE_NODE_ARGS    extra node flags for the service, after those of `npm start` (a later
//                            --max-old-space-size wins); an experiment
//
// Results: printed, and written to bench/scale-results.md (overwritten).
import autocannon from 'autocannon'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { createServer, type AddressInfo } from 'node:net'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { capacityPlanAnswer } from '../src/answers/answers.js'
import { CAPACITY_FIELDS } from '../src/answers/inputs.js'
import { readSnapshot } from '../src/catalog/store.js'
import { openDb } from '../src/db/open.js'
import { parseFields } from '../src/domain/fields.js'
import type { InstanceType } from '../src/domain/types.js'
import { ROOT } from '../src/paths.js'
import { COMMERCIAL_REGIONS, startFakeAws, type FakeAws } from '../test/fakes/fake-aws.js'
import { capacityPlanQuestions, maxPodsQuestions, recommendationQuestions, type CatalogSpace, type Question } from './questions.js'

function numberEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number from ${min} to ${max}; got "${raw}"`)
  return n
}

const TYPES = numberEnv('BENCH_SCALE_TYPES', 800, 5, 5000)
const LOAD_SECONDS = numberEnv('BENCH_SCALE_SECONDS', 60, 1, 3600)
const CONNECTIONS = numberEnv('BENCH_SCALE_CONNECTIONS', 16, 1, 500)
const PLANS = numberEnv('BENCH_SCALE_PLANS', 30, 3, 1000)
const SERVER_URL = (process.env.BENCH_DATABASE_URL ?? '').trim()
const CPU_PROF = process.env.BENCH_SCALE_CPU_PROF ? resolve(process.env.BENCH_SCALE_CPU_PROF) : ''
const NODE_ARGS = (process.env.BENCH_SCALE_NODE_ARGS ?? '').split(' ').filter(Boolean)
/** The node flags `npm start` runs the service with (package.json "start": node <flags> dist/src/server.js),
 * which the container image sets too (Dockerfile NODE_OPTIONS): the service is measured as it is run. */
const START_ARGS = startFlags()

function startFlags(): string[] {
  const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start'] ?? ''
  const words = start.trim().split(/\s+/)
  const server = words.indexOf('dist/src/server.js')
  if (words[0] !== 'node' || server < 0) throw new Error(`package.json "start" is not "node [flags] dist/src/server.js": ${start}`)
  return words.slice(1, server)
}
/** A profiled service or one with other node flags is an experiment: printed, bench/scale-results.md left alone. */
const EXPERIMENT = CPU_PROF !== '' || NODE_ARGS.length > 0
const BENCH_DB = 'cni_bench_scale'
/** The questions are drawn from seeded generators: the same run asks the same questions. */
const SEED = 20261222
const PLAN_REGION = 'us-east-1'

const TARGETS = {
  refreshSeconds: 60,
  refreshAboveIdleMiB: 150,
  readyMs: 3000,
  loadedMiB: { pglite: 350, postgres: 250 },
  planCpuMs: 10,
} as const

// ------------------------------------------------------------------ the process and /proc

// Pinned as bench/run.ts pins: the service on the last core, this process on the others.
const CORES = cpus().length
const PIN = CORES >= 2 && spawnSync('taskset', ['-V']).status === 0
const pinned = (cmd: string, args: string[]): [string, string[]] => (PIN ? ['taskset', ['-c', String(CORES - 1), cmd, ...args]] : [cmd, args])
if (PIN) spawnSync('taskset', ['-pc', `0-${CORES - 2}`, String(process.pid)])

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100

/** Resident memory now and its high-water mark (VmRSS, VmHWM), MiB. */
function rssMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0)
  return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) }
}

/** CPU seconds a process has used so far (user + system, every thread; clock ticks, from /proc/<pid>/stat). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND
}

/** CPU nanoseconds of every live thread of a process (/proc/<pid>/task/<tid>/schedstat, first field):
 * nanosecond resolution, for a single request, where /proc/<pid>/stat counts in 10 ms ticks. */
function cpuNs(pid: number): number {
  let ns = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns
}

/** Waits until a process has finished what it still had to do (its CPU stops growing for 200 ms), at most 20 s. */
async function settle(pid: number): Promise<void> {
  const deadline = Date.now() + 20_000
  let last = cpuSeconds(pid)
  while (Date.now() < deadline) {
    await sleep(200)
    const now = cpuSeconds(pid)
    if (now - last < 0.005) return
    last = now
  }
}

/** Samples a process's resident memory every 100 ms until stopped: the samples, with the bench's clock. */
function sampleRss(pid: number): { stop(): Array<{ at: number; rss: number }> } {
  const samples: Array<{ at: number; rss: number }> = []
  const take = () => {
    try {
      samples.push({ at: Date.now(), rss: rssMiB(pid).rss })
    } catch {
      // the process is gone
    }
  }
  take()
  const timer = setInterval(take, 100)
  return {
    stop() {
      clearInterval(timer)
      take()
      return samples
    },
  }
}

const peakOf = (samples: Array<{ rss: number }>): number => samples.reduce((m, s) => Math.max(m, s.rss), 0)

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

// ------------------------------------------------------------------ HTTP

interface Reply {
  status: number
  body: Buffer
}

/** One request without a timeout (a full refresh may take minutes; fetch would give up after 300 s). */
function http(port: number, method: string, path: string, opts: { headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: opts.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

async function getJson<T>(port: number, path: string): Promise<T> {
  const res = await http(port, 'GET', path)
  if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`)
  return JSON.parse(res.body.toString('utf8')) as T
}

/** The answer cache as /metrics shows it (cni_answer_cache_*). */
async function cacheCounters(port: number): Promise<{ hit: number; miss: number; bytes: number; budget: number; entries: number; evictions: number }> {
  const res = await http(port, 'GET', '/metrics')
  const text = res.body.toString('utf8')
  const read = (name: string, label = ''): number => {
    const m = new RegExp(`^${name}${label ? `\\{result="${label}"\\}` : ''} ([\\d.e+]+)`, 'm').exec(text)
    if (!m) throw new Error(`the service's /metrics has no ${name}${label ? ` {result="${label}"}` : ''}: is it this tree's build?`)
    return Number(m[1])
  }
  return {
    hit: read('cni_answer_cache_answer_lookups_total', 'hit'),
    miss: read('cni_answer_cache_answer_lookups_total', 'miss'),
    bytes: read('cni_answer_cache_bytes'),
    budget: read('cni_answer_cache_budget_bytes'),
    entries: read('cni_answer_cache_entries'),
    evictions: read('cni_answer_cache_evictions_total'),
  }
}

// ------------------------------------------------------------------ the service

interface Backend {
  name: 'pglite' | 'postgres'
  label: string
  /** The service's DATABASE_URL ('' = the embedded database in dataDir). */
  databaseUrl: string
  dataDir: string
}

interface Service {
  child: ChildProcess
  pid: number
  readyMs: number
  /** The service's log lines as parsed JSON (only when started with `logs`). */
  logs: Array<{ time: number; msg?: string; [k: string]: unknown }>
}

/** The environment of the service and the CLI: bench/run.ts's, the fake AWS endpoint, the admin token.
 * Nothing of this machine's AWS configuration is passed on. */
function serviceEnv(backend: Backend, port: number, fake: FakeAws, adminToken: string, work: string, logLevel: string): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && k !== 'DATABASE_URL' && k !== 'NODE_OPTIONS'))
  return {
    ...inherited,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: backend.dataDir,
    DATABASE_URL: backend.databaseUrl,
    LOG_LEVEL: logLevel,
    LOG_FORMAT: 'json',
    RATE_LIMIT_MAX: '10000000',
    ADMIN_TOKEN: adminToken,
    REFRESH_TIMEOUT_SECONDS: '600',
    AWS_ENDPOINT_URL: fake.url,
    AWS_ACCESS_KEY_ID: 'fake-aws-bench',
    AWS_SECRET_ACCESS_KEY: 'fake-aws-bench',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    // No profile or credentials file of this machine's (they could name another region or endpoint).
    AWS_CONFIG_FILE: join(work, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-aws-credentials'),
  }
}

const children = new Set<ChildProcess>()

function track(child: ChildProcess): ChildProcess {
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

async function waitReady(port: number, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the service exited (${child.exitCode ?? child.signalCode}) before it was ready`)
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await sleep(20)
  }
  throw new Error(`the service was not ready on port ${port} after ${timeoutMs} ms`)
}

async function startService(env: NodeJS.ProcessEnv, port: number, opts: { logs?: boolean } = {}): Promise<Service> {
  const started = performance.now()
  const prof = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`, '--cpu-prof-interval=500'] : []
  const [cmd, args] = pinned(process.execPath, [...START_ARGS, ...prof, ...NODE_ARGS, join(ROOT, 'dist/src/server.js')])
  const child = track(spawn(cmd, args, { env, stdio: ['ignore', opts.logs ? 'pipe' : 'ignore', 'inherit'] }))
  const logs: Service['logs'] = []
  if (opts.logs) {
    let rest = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n')
      rest = lines.pop()!
      for (const line of lines) {
        try {
          logs.push(JSON.parse(line) as Service['logs'][number])
        } catch {
          // not a log line
        }
      }
    })
  }
  await waitReady(port, child)
  return { child, pid: child.pid!, readyMs: Math.round(performance.now() - started), logs }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  if ((await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)])) === false) {
    child.kill('SIGKILL')
    await exited
  }
}

/** A command to its end, with its resident memory sampled: exit code, wall time, peak RSS, output. */
async function runSampled(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; ms: number; peakMiB: number; out: string }> {
  const started = performance.now()
  const [c, a] = pinned(cmd, args)
  const child = track(spawn(c, a, { env, stdio: ['ignore', 'pipe', 'pipe'] }))
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')))
  const sampler = sampleRss(child.pid!)
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)))
  return { code, ms: Math.round(performance.now() - started), peakMiB: peakOf(sampler.stop()), out }
}

// ------------------------------------------------------------------ the measurements

interface CatalogSize {
  instanceTypes: number
  regions: number
  byKind: Record<string, number>
  gp3: number
  /** Regions with prices that the fake does not serve (the seed's GovCloud prices, which a refresh of
   * every commercial region leaves as they are), with their price count (every kind). */
  notRefreshed: Array<{ region: string; prices: number }>
}

interface RefreshPhase {
  name: string
  ms: number
  peakMiB: number
}

interface BackendResult {
  backend: Backend
  /** deleted: what the CLI said it deleted with the seed's types (its "deleted:" line), or null. */
  prime: { ms: number; peakMiB: number; deleted: string | null }
  refresh: { ms: number; idle: number; peak: number; hwm: number; phases: RefreshPhase[]; pricesWritten: number }
  catalog: CatalogSize
  readyMs: number
  idleAfterRestart: number
  load: {
    requests: number
    rps: number
    errors: number
    non2xx: number
    p50: number
    p99: number
    after: number
    peak: number
    hwm: number
    cache: { hit: number; miss: number; bytes: number; budget: number; entries: number; evictions: number }
  }
  plan: { rows: number; bytes: number; medianMs: number; meanMs: number; maxMs: number; runMeanMs: number; lookups: { hit: number; miss: number } }
  inProcess: { loadMs: number; rows: number; medianMs: number }
}

interface CatalogSummary {
  instanceTypes: number
  regions: Array<{ region: string; byCapacityType: Record<string, { prices: number }>; gp3: unknown }>
}

async function catalogSize(port: number): Promise<CatalogSize> {
  const c = await getJson<CatalogSummary>(port, '/v1/catalog')
  const byKind: Record<string, number> = {}
  for (const r of c.regions) for (const [kind, k] of Object.entries(r.byCapacityType)) byKind[kind] = (byKind[kind] ?? 0) + k.prices
  const served = new Set<string>(COMMERCIAL_REGIONS)
  const notRefreshed = c.regions
    .filter((r) => !served.has(r.region))
    .map((r) => ({ region: r.region, prices: Object.values(r.byCapacityType).reduce((n, k) => n + k.prices, 0) }))
  return { instanceTypes: c.instanceTypes, regions: c.regions.length, byKind, gp3: c.regions.filter((r) => r.gp3 !== null).length, notRefreshed }
}

/** The catalog's instance types and priced regions, as the service lists them: what the questions are drawn over. */
async function catalogSpace(port: number): Promise<CatalogSpace> {
  const types: InstanceType[] = []
  let cursor: string | null = null
  do {
    const page: { items: InstanceType[]; nextCursor: string | null } = await getJson(port, `/v1/instance-types?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    types.push(...page.items)
    cursor = page.nextCursor
  } while (cursor)
  const c = await getJson<CatalogSummary>(port, '/v1/catalog')
  return { types, regions: c.regions.filter((r) => r.byCapacityType['on-demand']).map((r) => r.region) }
}

/**
 * 1. The refresh, on a service started for it: idle RSS, then POST /v1/admin/refresh {"regions":["all"]}
 * with RSS sampled every 100 ms. The service logs at info here (a handful of requests), so its own log
 * lines split the run into fetch (every region from AWS), write (plan and replace, one transaction) and
 * reload (the new snapshot), each with its peak RSS.
 */
async function measureRefresh(env: NodeJS.ProcessEnv, port: number, adminToken: string): Promise<{ refresh: BackendResult['refresh']; catalog: CatalogSize }> {
  const svc = await startService({ ...env, LOG_LEVEL: 'info' }, port, { logs: true })
  try {
    await settle(svc.pid)
    const idle = rssMiB(svc.pid).rss
    const sampler = sampleRss(svc.pid)
    const started = Date.now()
    const res = await http(port, 'POST', '/v1/admin/refresh', {
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ regions: ['all'] }),
    })
    const ended = Date.now()
    const samples = sampler.stop()
    if (res.status !== 200) throw new Error(`the refresh answered ${res.status}: ${res.body.toString('utf8').slice(0, 500)}`)
    const report = JSON.parse(res.body.toString('utf8')) as { prices: { total: number }; regions: string[] }
    const hwm = rssMiB(svc.pid).peak
    // The phases, from the service's own log lines (pino's time is Date.now() there, the same clock);
    // the last lines may still be on their way through the pipe.
    const at = (msg: string): number | null => svc.logs.find((l) => l.msg === msg && l.time >= started)?.time ?? null
    for (let i = 0; i < 50 && at('catalog loaded') === null; i++) await sleep(20)
    const marks = [
      { name: 'fetch (every region from the fake AWS)', end: at('fetched catalog from AWS') },
      { name: 'write (read the current catalog, plan, replace, commit)', end: at('catalog refreshed from AWS') },
      { name: 'reload (the new snapshot)', end: at('catalog loaded') },
      { name: 'answer', end: ended },
    ]
    const phases: RefreshPhase[] = []
    let from = started
    for (const m of marks) {
      if (m.end === null) continue
      phases.push({ name: m.name, ms: m.end - from, peakMiB: peakOf(samples.filter((s) => s.at >= from && s.at <= m.end!)) })
      from = m.end
    }
    const catalog = await catalogSize(port)
    return { refresh: { ms: ended - started, idle, peak: peakOf(samples), hwm, phases, pricesWritten: report.prices.total }, catalog }
  } finally {
    await stop(svc.child)
  }
}

/**
 * Recommendations that name their instance types: a question that leaves instanceTypes out gets the
 * field's default, m5.large, which the synthetic catalog (gen<i>.large) does not have (a 400). Those get
 * one of the catalog's types instead, in turn; a question that comes out the same as an earlier one would
 * show as a hit in the answer-cache counters.
 */
function namingTypes(gen: { next(): Question }, space: CatalogSpace): { next(): Question } {
  let k = 0
  return {
    next() {
      const q = gen.next()
      const body = JSON.parse(q.body!) as Record<string, unknown>
      if (body['instanceTypes'] !== undefined) return q
      return { body: JSON.stringify({ ...body, instanceTypes: [space.types[k++ % space.types.length]!.name] }) }
    },
  }
}

/** Answers other than 2xx in the miss load, per kind of question: how many, and the first few. */
type Refusals = Record<string, { count: number; examples: string[] }>

/** 3. The miss load: each connection walks the three kinds of question in turn, each request a question not asked before. */
async function missLoad(port: number, space: CatalogSpace): Promise<{ result: autocannon.Result; refusals: Refusals }> {
  const refusals: Refusals = {}
  const kind = (name: string, gen: { next(): Question }): Pick<autocannon.Request, 'setupRequest' | 'onResponse'> => ({
    setupRequest: (r, context) => {
      const q = gen.next()
      ;(context as { asked?: Question }).asked = q
      return { ...r, ...(q.path ? { path: q.path } : {}), ...(q.body ? { body: q.body } : {}) }
    },
    onResponse: (status, body, context) => {
      if (status >= 200 && status < 300) return
      const r = (refusals[name] ??= { count: 0, examples: [] })
      r.count++
      const q = (context as { asked?: Question }).asked
      if (r.examples.length < 3) r.examples.push(`${status} ${q?.path ?? ''}${q?.body ?? ''} → ${body.slice(0, 240)}`)
    },
  })
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: LOAD_SECONDS,
    requests: [
      { method: 'GET', path: '/v1/capacity-plans', ...kind('whole-catalog plan', capacityPlanQuestions(SEED + 1, space, 'catalog')) },
      { method: 'GET', path: '/v1/instance-types/x/max-pods', ...kind('max pods', maxPodsQuestions(SEED + 2, space)) },
      {
        method: 'POST',
        path: '/v1/recommendations',
        headers: { 'content-type': 'application/json' },
        ...kind('recommendation', namingTypes(recommendationQuestions(SEED + 3, space), space)),
      },
    ],
  })
  return { result, refusals }
}

/** Whole-catalog plans in PLAN_REGION, each a question not asked before (the region named in every one). */
function planQuestions(seed: number, space: CatalogSpace): () => string {
  const gen = capacityPlanQuestions(seed, { types: space.types, regions: [PLAN_REGION] }, 'catalog')
  const seen = new Set<string>()
  return () => {
    for (;;) {
      const path = gen.next().path!
      const named = /[?&]region=/.test(path) ? path : `${path}&region=${PLAN_REGION}`
      if (!seen.has(named)) {
        seen.add(named)
        return named
      }
    }
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const round2 = (x: number): number => Math.round(x * 100) / 100

/** 4. CPU per whole-catalog JSON plan over HTTP: sequential, distinct; per request from schedstat, and
 * the mean over the run from /proc/<pid>/stat. */
async function planCpuOverHttp(svc: Service, port: number, space: CatalogSpace): Promise<BackendResult['plan']> {
  const next = planQuestions(SEED + 4, space)
  const ask = async (): Promise<Reply> => {
    const path = next()
    const res = await http(port, 'GET', path)
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`)
    return res
  }
  for (let i = 0; i < 3; i++) await ask() // warm-up
  await settle(svc.pid)
  const before = await cacheCounters(port)
  const samples: number[] = []
  let bytes = 0
  let rows = 0
  const runStart = cpuSeconds(svc.pid)
  for (let i = 0; i < PLANS; i++) {
    const ns = cpuNs(svc.pid)
    const res = await ask()
    samples.push((cpuNs(svc.pid) - ns) / 1e6)
    bytes = res.body.length
    rows = (JSON.parse(res.body.toString('utf8')) as { rows?: unknown[]; plans?: Array<{ rows: unknown[] }> }).rows?.length ?? 0
  }
  await settle(svc.pid)
  // Over the whole run from /proc/<pid>/stat, work the service did after an answer had gone out included.
  const runMeanMs = ((cpuSeconds(svc.pid) - runStart) * 1000) / PLANS
  const after = await cacheCounters(port)
  return {
    rows,
    bytes,
    medianMs: round2(median(samples)),
    meanMs: round2(samples.reduce((n, x) => n + x, 0) / samples.length),
    maxMs: round2(Math.max(...samples)),
    runMeanMs: round2(runMeanMs),
    lookups: { hit: after.hit - before.hit, miss: after.miss - before.miss },
  }
}

/** 4, in process: the big catalog read from the database into a CatalogSnapshot (as the service's
 * CatalogStore does), then capacityPlanAnswer alone, PLANS distinct questions, CPU of each (process.cpuUsage). */
async function planCpuInProcess(backend: Backend, space: CatalogSpace): Promise<BackendResult['inProcess']> {
  const db = await openDb({ databaseUrl: backend.databaseUrl || null, dataDir: backend.dataDir })
  try {
    const started = performance.now()
    const snap = (await db.tx((q) => readSnapshot(q)))!
    const loadMs = Math.round(performance.now() - started)
    const next = planQuestions(SEED + 5, space)
    const f = { clock: () => new Date(), priceMaxAgeDays: 180 }
    const question = () => parseFields(CAPACITY_FIELDS, Object.fromEntries(new URLSearchParams(next().split('?')[1])), { textual: true })
    for (let i = 0; i < 5; i++) capacityPlanAnswer(snap, question(), f) // warm-up
    const samples: number[] = []
    let rows = 0
    for (let i = 0; i < PLANS; i++) {
      const q = question()
      const before = process.cpuUsage()
      rows = capacityPlanAnswer(snap, q, f).rows.length
      const used = process.cpuUsage(before)
      samples.push((used.user + used.system) / 1000)
    }
    return { loadMs, rows, medianMs: round2(median(samples)) }
  } finally {
    await db.close()
  }
}

async function measureBackend(backend: Backend, fake: FakeAws, work: string): Promise<BackendResult> {
  const port = await freePort()
  const adminToken = randomBytes(24).toString('base64url')
  const env = serviceEnv(backend, port, fake, adminToken, work, process.env.BENCH_LOG_LEVEL ?? 'warn')

  console.log(`[${backend.name}] priming: the seed replaced by the synthetic catalog (CLI refresh, every region, any drop allowed)…`)
  const prime = await runSampled(process.execPath, [join(ROOT, 'dist/scripts/refresh.js'), '--regions', 'all', '--max-drop-percent', '100'], env)
  if (prime.code !== 0) throw new Error(`the priming refresh failed (exit ${prime.code}):\n${prime.out.slice(-2000)}`)
  const deleted = /^deleted: (.*)$/m.exec(prime.out)?.[1] ?? null
  console.log(`  ${prime.ms} ms, peak RSS ${prime.peakMiB} MiB${deleted ? `; deleted ${deleted}` : ''}`)

  console.log(`[${backend.name}] 1. full refresh of every region over HTTP…`)
  const { refresh, catalog } = await measureRefresh(env, port, adminToken)
  console.log(`  ${refresh.ms} ms; RSS idle ${refresh.idle}, peak ${refresh.peak} MiB (VmHWM ${refresh.hwm}); ${refresh.phases.map((p) => `${p.name}: ${p.ms} ms, peak ${p.peakMiB} MiB`).join('; ')}`)
  console.log(`  catalog: ${catalog.instanceTypes} types, ${catalog.regions} regions, ${JSON.stringify(catalog.byKind)}, gp3 in ${catalog.gp3}`)

  console.log(`[${backend.name}] 2. restart on the big database…`)
  const svc = await startService(env, port)
  try {
    console.log(`  ready in ${svc.readyMs} ms`)
    await settle(svc.pid)
    const idleAfterRestart = rssMiB(svc.pid).rss
    const space = await catalogSpace(port)
    await settle(svc.pid)

    console.log(`[${backend.name}] 3. miss load, ${LOAD_SECONDS} s, ${CONNECTIONS} connections (idle RSS ${idleAfterRestart} MiB)…`)
    const sampler = sampleRss(svc.pid)
    const { result: res, refusals } = await missLoad(port, space)
    await settle(svc.pid)
    const samples = sampler.stop()
    const mem = rssMiB(svc.pid)
    const cache = await cacheCounters(port)
    const load: BackendResult['load'] = {
      requests: res.requests.total,
      rps: Math.round(res.requests.average),
      errors: res.errors + res.timeouts,
      non2xx: res.non2xx,
      p50: res.latency.p50,
      p99: res.latency.p99,
      after: mem.rss,
      peak: peakOf(samples),
      hwm: mem.peak,
      cache,
    }
    console.log(`  ${load.requests} requests (${load.rps}/s), errors ${load.errors}, non-2xx ${load.non2xx}; RSS after ${load.after}, peak ${load.peak} MiB; answer cache ${cache.hit} hits / ${cache.miss} misses`)
    for (const [name, r] of Object.entries(refusals)) console.log(`  ${name}: ${r.count} answers not 2xx, e.g.\n    ${r.examples.join('\n    ')}`)

    console.log(`[${backend.name}] 4. CPU per whole-catalog plan in ${PLAN_REGION}, ${PLANS} sequential distinct requests…`)
    const plan = await planCpuOverHttp(svc, port, space)
    console.log(`  ${plan.rows} rows, ${plan.bytes} bytes; CPU per plan median ${plan.medianMs} ms, mean ${plan.meanMs}, max ${plan.maxMs} (per request); mean over the run ${plan.runMeanMs} ms; cache ${plan.lookups.hit} hits / ${plan.lookups.miss} misses`)
    await stop(svc.child)

    console.log(`[${backend.name}] 4b. capacityPlanAnswer in process, on a snapshot read from the database…`)
    const inProcess = await planCpuInProcess(backend, space)
    console.log(`  snapshot read in ${inProcess.loadMs} ms; ${inProcess.rows} rows, median ${inProcess.medianMs} ms of CPU`)

    return { backend, prime: { ms: prime.ms, peakMiB: prime.peakMiB, deleted }, refresh, catalog, readyMs: svc.readyMs, idleAfterRestart, load, plan, inProcess }
  } finally {
    await stop(svc.child)
  }
}

// ------------------------------------------------------------------ the report

const met = (ok: boolean): string => (ok ? 'met' : '**not met**')
const regionsText = (c: CatalogSize): string =>
  `${c.regions} regions${c.notRefreshed.length ? ` (${c.regions - c.notRefreshed.length} refreshed; ${c.notRefreshed.map((r) => `${r.region} ${r.prices}`).join(', ')} prices left from the seed, which no refresh of every commercial region touches)` : ''}`
const kinds = (c: CatalogSize): string =>
  ['on-demand', 'spot', 'reserved-1y'].map((k) => `${k} ${c.byKind[k] ?? 0}`).join(', ')

function table(r: BackendResult): string[] {
  const loadTarget = TARGETS.loadedMiB[r.backend.name]
  const above = r.refresh.peak - r.refresh.idle
  const mib = (n: number) => `${n} MiB`
  return [
    `### ${r.backend.label}`,
    '',
    '| measure | value | target | met |',
    '|---|---|---|---|',
    `| 1. full refresh of every region (POST /v1/admin/refresh {"regions":["all"]}), wall time | ${round2(r.refresh.ms / 1000)} s | < ${TARGETS.refreshSeconds} s | ${met(r.refresh.ms < TARGETS.refreshSeconds * 1000)} |`,
    ...r.refresh.phases.map((p) => `| &nbsp;&nbsp;of which ${p.name} | ${round2(p.ms / 1000)} s, peak RSS ${mib(p.peakMiB)} | — | — |`),
    `| 1. RSS during the refresh: idle before / peak during (sampled every 100 ms) / VmHWM after | ${r.refresh.idle} / ${r.refresh.peak} / ${r.refresh.hwm} MiB | — | — |`,
    `| 1. RSS peak above idle during the refresh | ${mib(above)} | < ${TARGETS.refreshAboveIdleMiB} MiB | ${met(above < TARGETS.refreshAboveIdleMiB)} |`,
    `| 1. the catalog afterwards (GET /v1/catalog) | ${r.catalog.instanceTypes} instance types, ${regionsText(r.catalog)}; prices ${kinds(r.catalog)}; gp3 in ${r.catalog.gp3} regions (${r.refresh.pricesWritten} price rows written) | — | — |`,
    `| 2. start-up to ready (/readyz) on the big database | ${r.readyMs} ms | < ${TARGETS.readyMs} ms | ${met(r.readyMs < TARGETS.readyMs)} |`,
    `| 3. RSS idle after the restart | ${mib(r.idleAfterRestart)} | — | — |`,
    `| 3. miss load: ${LOAD_SECONDS} s, ${CONNECTIONS} connections, whole-catalog plans / max pods / recommendations in turn | ${r.load.requests} requests (${r.load.rps}/s), p50 ${r.load.p50} ms, p99 ${r.load.p99} ms, errors ${r.load.errors}, non-2xx ${r.load.non2xx} | — | ${met(r.load.errors === 0 && r.load.non2xx === 0)} (no errors) |`,
    `| 3. RSS under the miss load: after / peak (sampled) / VmHWM (since start) | ${r.load.after} / ${r.load.peak} / ${r.load.hwm} MiB | < ${loadTarget} MiB (peak) | ${met(r.load.peak < loadTarget)} |`,
    `| 3. answer cache after the load (/metrics): hits / misses, bytes / budget, entries, evictions | ${r.load.cache.hit} / ${r.load.cache.miss}, ${round2(r.load.cache.bytes / 1048576)} / ${round2(r.load.cache.budget / 1048576)} MiB, ${r.load.cache.entries}, ${r.load.cache.evictions} | hits 0 (all misses) | ${met(r.load.cache.hit === 0)} |`,
    `| 4. whole-catalog JSON plan in ${PLAN_REGION} over HTTP (${r.plan.rows} rows, ${Math.round(r.plan.bytes / 1024)} kB), service CPU per plan over ${PLANS} sequential plans: per request median / mean / max (schedstat), and mean over the run (/proc stat, what follows each answer included) | ${r.plan.medianMs} / ${r.plan.meanMs} / ${r.plan.maxMs} ms; ${r.plan.runMeanMs} ms (cache: ${r.plan.lookups.hit} hits, ${r.plan.lookups.miss} misses) | < ${TARGETS.planCpuMs} ms | ${met(r.plan.medianMs < TARGETS.planCpuMs)} |`,
    `| 4. capacityPlanAnswer alone, in process, on the snapshot read from the database (${r.inProcess.rows} rows): CPU, median of ${PLANS} | ${r.inProcess.medianMs} ms | < ${TARGETS.planCpuMs} ms | ${met(r.inProcess.medianMs < TARGETS.planCpuMs)} |`,
    `| reading the big catalog into a CatalogSnapshot, in process | ${r.inProcess.loadMs} ms | — | — |`,
    `| (priming, not a target) the first refresh, seed → synthetic, by the CLI in its own process | ${round2(r.prime.ms / 1000)} s, peak RSS ${mib(r.prime.peakMiB)}${r.prime.deleted ? `; deleted ${r.prime.deleted}` : ''} | — | — |`,
    '',
  ]
}

function report(results: BackendResult[]): string {
  const c = results[0]!.catalog
  const lines = [
    '# Scale benchmark results (issue 22)',
    '',
    `Run ${new Date().toISOString()} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${CORES} cores, Node ${process.version}` +
      `${PIN ? `; the service pinned to core ${CORES - 1}, the bench (fake AWS, load generator) to the others` : ''}. ` +
      `Catalog: typesPerRegion ${TYPES}, ${regionsText(c)}, ${c.instanceTypes} instance types, prices by kind: ${kinds(c)}; gp3 in ${c.gp3} regions. ` +
      'Synthesised by the fake AWS endpoint of the tests (test/fakes/fake-aws.ts, `startFakeAws({ synthetic: { typesPerRegion } })`, in the bench process): ' +
      'every commercial region, each type with an on-demand price and the twelve reserved terms in its product document and a spot price per AZ, ' +
      'at AWS\'s page sizes; the service (a child process) reached it through AWS_ENDPOINT_URL with its own SDK clients, in the worker thread a refresh fetches in. ' +
      'The refresh measured replaces the full catalog with a full catalog (the daily job\'s case); the first one, from the seed, was done before by the CLI ' +
      '(the HTTP route\'s sanity gate refuses to drop the seed\'s types), and deleted with the seed\'s types their prices in the regions it did not refresh ' +
      '(GovCloud: a refresh leaves no price of a type that is gone). Answer cache at its default budget (MEMORY_CACHE_MB unset), LOG_LEVEL=warn ' +
      '(info during the refresh, to time its phases), rate limit out of reach' +
      `; the service run as \`npm start\` runs it, node ${[...START_ARGS, ...NODE_ARGS].join(' ') || '(no flags)'} dist/src/server.js` +
      `${NODE_ARGS.length ? ` (BENCH_SCALE_NODE_ARGS: ${NODE_ARGS.join(' ')})` : ''}. Produced by \`npm run bench:scale\`.`,
    '',
    ...results.flatMap(table),
  ]
  if (!results.some((r) => r.backend.name === 'postgres')) lines.push('PostgreSQL server: not measured (set BENCH_DATABASE_URL to a server the bench may create a database on).', '')
  return lines.join('\n')
}

// ------------------------------------------------------------------ main

async function createBenchDatabase(serverUrl: string): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`)
    await admin.query(`CREATE DATABASE ${BENCH_DB}`)
  } finally {
    await admin.end()
  }
  const url = new URL(serverUrl)
  url.pathname = `/${BENCH_DB}`
  return url.toString()
}

async function dropBenchDatabase(serverUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`)
  } finally {
    await admin.end()
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'cni-bench-scale-'))
  if (CPU_PROF) mkdirSync(CPU_PROF, { recursive: true })
  const fake = await startFakeAws({ synthetic: { typesPerRegion: TYPES } })
  let createdDb = false
  const cleanup = async () => {
    for (const child of children) await stop(child)
    await fake.close().catch(() => {})
    if (createdDb) await dropBenchDatabase(SERVER_URL).catch((err: Error) => console.error(`could not drop ${BENCH_DB}: ${err.message}`))
    rmSync(work, { recursive: true, force: true })
  }
  const onSignal = () => {
    void cleanup().finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    console.log(`fake AWS: ${TYPES} types per region, every commercial region, at ${fake.url}`)
    const results: BackendResult[] = []
    results.push(await measureBackend({ name: 'pglite', label: 'Embedded PostgreSQL (PGlite, the default), a temporary DATA_DIR', databaseUrl: '', dataDir: join(work, 'pgdata') }, fake, work))
    if (SERVER_URL) {
      const databaseUrl = await createBenchDatabase(SERVER_URL)
      createdDb = true
      results.push(await measureBackend({ name: 'postgres', label: `PostgreSQL server (DATABASE_URL, a fresh database ${BENCH_DB})`, databaseUrl, dataDir: join(work, 'unused') }, fake, work))
    }
    const text = report(results)
    if (EXPERIMENT) console.log(`(experiment: bench/scale-results.md left as it was${CPU_PROF ? `; profiles in ${CPU_PROF}` : ''})`)
    else writeFileSync(join(ROOT, 'bench', 'scale-results.md'), text)
    console.log(`\n${text}`)
    // A missed target is a result; a miss load with errors or kept answers is not a valid measurement.
    if (results.some((r) => r.load.errors + r.load.non2xx > 0 || r.load.cache.hit > 0 || r.plan.lookups.hit > 0)) {
      console.error('some requests failed or found their answer kept: those rows are not valid measurements')
      process.exitCode = 1
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await cleanup()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
