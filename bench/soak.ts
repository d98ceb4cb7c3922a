// npm run soak: the service as a child process (embedded default, or DATABASE_URL when set) under a
// steady mixed load at a fixed rate for SOAK_SECONDS; samples the child's resident memory and reports
// errors, latency and memory growth into bench/soak-results.md. Exit 1 on any error or when memory keeps
// growing after the warm-up.
//
//   SOAK_SECONDS          load duration (default 60)
//   SOAK_RATE             requests per second over all connections (default 200)
//   SOAK_CONNECTIONS      connections (default 8)
//   SOAK_SAMPLE_SECONDS   RSS sampling interval (default 2)
//   SOAK_MAX_GROWTH       allowed RSS growth after the warm-up, MiB per minute (default 10)
//   SOAK_WARMUP_SHARE     share of the run left out of the growth estimate (default 0.2)
//   SOAK_MIX              steady | hostile | both (default both): the hostile mix asks a different
//                         question every time (distinct URLs and bodies), pads GraphQL documents to 15 kB (just under MAX_QUERY_BYTES)
//                         of distinct text and floods /slack/commands with unsigned posts naming distinct
//                         workspaces; it fails unless RSS levels off within MEMORY_CACHE_MB + headroom
//   SOAK_HEADROOM_MIB     what RSS may grow beyond the answer cache's budget in the hostile mix (default 64)
import autocannon from 'autocannon'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, type AddressInfo } from 'node:net'
import { ROOT } from '../src/paths.js'

function numberEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`soak: ${name} must be a number from ${min} to ${max}; got "${raw}"`)
    process.exit(2)
  }
  return n
}

const SECONDS = numberEnv('SOAK_SECONDS', 60, 5, 86_400)
const RATE = numberEnv('SOAK_RATE', 200, 1, 100_000)
const CONNECTIONS = numberEnv('SOAK_CONNECTIONS', 8, 1, 1000)
const SAMPLE_SECONDS = numberEnv('SOAK_SAMPLE_SECONDS', 2, 0.5, 600)
const MAX_GROWTH = numberEnv('SOAK_MAX_GROWTH', 10, 0, 10_000)
const WARMUP_SHARE = numberEnv('SOAK_WARMUP_SHARE', 0.2, 0, 0.9)
const DATABASE_URL = (process.env.DATABASE_URL ?? '').trim()
const MIX_KIND = (process.env.SOAK_MIX ?? 'both').trim()
if (!['steady', 'hostile', 'both'].includes(MIX_KIND)) {
  console.error(`soak: SOAK_MIX must be steady, hostile or both; got "${MIX_KIND}"`)
  process.exit(2)
}
const HEADROOM = numberEnv('SOAK_HEADROOM_MIB', 64, 0, 100_000)
// The service's default answer-cache budget (src/config.ts MEMORY_CACHE_MB), unless the caller set one.
const CACHE_MB = numberEnv('MEMORY_CACHE_MB', 64, 0, 4096)

const json = { 'content-type': 'application/json' }
const requirements = { performance: 'high', networkPolicy: 'required', encryption: 'preferred', instanceTypes: ['m5.large'], podsPerNode: 50, totalPods: 3000 }

/** The mix: each connection walks this list in order, round and round. */
const MIX: Array<{ name: string; method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: string }> = [
  { name: 'GET max-pods', method: 'GET', path: '/v1/instance-types/m5.large/max-pods' },
  { name: 'GET recommendations', method: 'GET', path: '/v1/recommendations?performance=high&networkPolicy=required&instanceTypes=m5.large,c6g.xlarge&podsPerNode=40' },
  { name: 'POST recommendations', method: 'POST', path: '/v1/recommendations', headers: json, body: JSON.stringify(requirements) },
  { name: 'GET capacity plan JSON', method: 'GET', path: '/v1/capacity-plans?totalPods=3000&instanceTypes=m5.large,c5.xlarge,m6g.2xlarge' },
  { name: 'GET capacity plan CSV (whole catalog)', method: 'GET', path: '/v1/capacity-plans?totalPods=3000&format=csv' },
  {
    name: 'POST GraphQL recommend',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: JSON.stringify({
      query: '{ recommend(requirements: { performance: HIGH, networkPolicy: REQUIRED, instanceTypes: ["m5.large"], podsPerNode: 50, totalPods: 3000 }) { summary recommendation { id score } } }',
    }),
  },
  { name: 'GET catalog', method: 'GET', path: '/v1/catalog' },
  { name: 'GET instance type', method: 'GET', path: '/v1/instance-types/c6g.xlarge' },
]

type AutocannonRequest = NonNullable<autocannon.Options['requests']>[number]
let seq = 0
const next = () => ++seq
const families = ['m5', 'm6i', 'c5', 'c6g', 'r5', 'm7g', 't3', 'c7i']
const pad = (n: number) => `# ${n} ${'x'.repeat(15_000)}\n`

/** Every request a question not asked before in the run; what each answers is not checked, only the service's health. */
const HOSTILE: Array<{ name: string; request: AutocannonRequest }> = [
  {
    name: 'GET capacity plan, distinct',
    request: { method: 'GET', setupRequest: (r) => ({ ...r, path: `/v1/capacity-plans?totalPods=${1000 + next()}&family=${families[seq % families.length]}` }) },
  },
  {
    name: 'GET recommendations, distinct',
    request: { method: 'GET', setupRequest: (r) => ({ ...r, path: `/v1/recommendations?totalPods=${next()}&podsPerNode=${1 + (seq % 100)}&networkPolicy=preferred` }) },
  },
  {
    name: 'POST recommendations, distinct bodies',
    request: { method: 'POST', headers: json, setupRequest: (r) => ({ ...r, body: JSON.stringify({ ...requirements, totalPods: next() }) }) },
  },
  {
    name: 'POST GraphQL, padded distinct documents',
    request: {
      method: 'POST',
      path: '/graphql',
      headers: json,
      setupRequest: (r) => ({ ...r, body: JSON.stringify({ query: `${pad(next())}{ recommend(requirements: { totalPods: ${seq} }) { summary } }` }) }),
    },
  },
  {
    name: 'POST /slack/commands unsigned, distinct workspaces',
    request: {
      method: 'POST',
      path: '/slack/commands',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      setupRequest: (r) => ({ ...r, body: `team_id=T${next()}&command=%2Fcni&text=help` }),
    },
  },
  {
    name: 'GET unknown instance types, distinct',
    request: { method: 'GET', setupRequest: (r) => ({ ...r, path: `/v1/instance-types/zz${next()}.large/max-pods` }) },
  },
]

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => resolve(port))
    })
  })
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
}

/** Least-squares slope of y over x. */
function slope(points: Array<{ x: number; y: number }>): number {
  const n = points.length
  if (n < 2) return 0
  const mx = points.reduce((s, p) => s + p.x, 0) / n
  const my = points.reduce((s, p) => s + p.y, 0) / n
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0)
  return sxx === 0 ? 0 : points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx
}

const round1 = (n: number) => Math.round(n * 10) / 10

async function main(): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'cni-soak-'))
  let child: ChildProcess | null = null
  try {
    const port = await freePort()
    child = spawn(process.execPath, [join(ROOT, 'dist/src/server.js')], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: join(work, 'pgdata'),
        DATABASE_URL,
        LOG_LEVEL: process.env.SOAK_LOG_LEVEL ?? 'warn',
        // A steady rate from one client is the point here, not the per-client limit.
        RATE_LIMIT_MAX: '0',
        // So that unsigned Slack posts are refused as unsigned (401), not as unconfigured (503).
        SLACK_SIGNING_SECRET: 'soak-signing-secret-not-real',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    const proc = child
    const base = `http://127.0.0.1:${port}`
    const deadline = Date.now() + 60_000
    while (!(await fetch(`${base}/readyz`).then((r) => r.ok, () => false))) {
      if (proc.exitCode !== null) throw new Error(`the service exited with ${proc.exitCode} before it was ready`)
      if (Date.now() > deadline) throw new Error('the service was not ready within 60 s')
      await sleep(50)
    }
    for (const m of MIX) {
      const res = await fetch(base + m.path, { method: m.method, headers: m.headers, body: m.body })
      const text = await res.text()
      if (res.status !== 200 || (m.path === '/graphql' && JSON.parse(text).errors)) {
        throw new Error(`${m.name}: the service answered ${res.status}: ${text.slice(0, 300)}`)
      }
    }

    const backend = DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'the embedded default (PGlite)'
    const pid = proc.pid!
    const lines = [
      '# Soak results',
      '',
      `Run ${new Date().toISOString()} on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}; ` +
        `the service as a child process on ${backend}, LOG_LEVEL=${process.env.SOAK_LOG_LEVEL ?? 'warn'}, RATE_LIMIT_MAX=0, MEMORY_CACHE_MB=${CACHE_MB}. ` +
        `Produced by \`npm run soak\` (SOAK_SECONDS=${SECONDS}, SOAK_RATE=${RATE}, SOAK_CONNECTIONS=${CONNECTIONS}, SOAK_MIX=${MIX_KIND}).`,
      '',
    ]
    const failures: string[] = []
    const phases: Array<{ name: string; hostile: boolean; kinds: Array<{ name: string; request: AutocannonRequest }> }> = []
    if (MIX_KIND !== 'hostile') phases.push({ name: 'steady mix (the same questions again and again)', hostile: false, kinds: MIX.map((m) => ({ name: m.name, request: { method: m.method, path: m.path, headers: m.headers, body: m.body } })) })
    if (MIX_KIND !== 'steady') phases.push({ name: 'hostile mix (a different question every time)', hostile: true, kinds: HOSTILE })
    for (const phase of phases) {
      console.log(`soak: ${phase.name}: ${SECONDS} s at ${RATE} req/s over ${CONNECTIONS} connections, ${phase.kinds.length} kinds of request, on ${backend}`)
      const samples: Array<{ t: number; rss: number }> = [{ t: 0, rss: rssMiB(pid) }]
      const started = Date.now()
      const sampler = setInterval(() => {
        if (proc.exitCode === null) samples.push({ t: (Date.now() - started) / 1000, rss: rssMiB(pid) })
      }, SAMPLE_SECONDS * 1000)
      const result = await autocannon({
        url: base,
        connections: CONNECTIONS,
        overallRate: RATE,
        duration: SECONDS,
        requests: phase.kinds.map((k) => k.request),
      })
      clearInterval(sampler)
      const alive = proc.exitCode === null
      if (alive) samples.push({ t: (Date.now() - started) / 1000, rss: rssMiB(pid) })

      // The hostile mix first fills the caches it is allowed to fill (the answer cache's budget, mercurius'
      // documents): its growth is judged on the second half of the run.
      const warmup = SECONDS * (phase.hostile ? Math.max(WARMUP_SHARE, 0.5) : WARMUP_SHARE)
      const steady = samples.filter((x) => x.t >= warmup)
      const growthPerMin = slope(steady.map((x) => ({ x: x.t / 60, y: x.rss })))
      const serverErrors = (result as unknown as Record<string, number>)['5xx'] ?? 0
      // The hostile mix is meant to be refused in part (401 unsigned, 404 unknown): only 5xx are errors there.
      const errors = result.errors + result.timeouts + (phase.hostile ? serverErrors : result.non2xx)
      const expected = RATE * SECONDS
      const first = samples[0]!.rss
      const last = samples[samples.length - 1]!.rss
      const peak = Math.max(...samples.map((x) => x.rss))
      const atWarmup = steady[0]?.rss ?? first
      const mine: string[] = []
      if (!alive) mine.push(`the service died during the run (exit ${proc.exitCode})`)
      if (errors > 0) mine.push(`${errors} errors (${result.errors} connection errors, ${result.timeouts} timeouts, ${phase.hostile ? `${serverErrors} 5xx` : `${result.non2xx} non-2xx`})`)
      if (growthPerMin > MAX_GROWTH) mine.push(`resident memory grew ${round1(growthPerMin)} MiB/min after the warm-up, more than ${MAX_GROWTH}`)
      if (result.requests.total < expected * 0.9) mine.push(`only ${result.requests.total} of ${expected} requests were sent: the rate was not held`)
      if (phase.hostile && peak - first > CACHE_MB + HEADROOM) mine.push(`RSS rose ${round1(peak - first)} MiB, more than the cache budget ${CACHE_MB} MiB + ${HEADROOM} MiB headroom`)
      failures.push(...mine.map((m) => `${phase.name}: ${m}`))
      lines.push(
        `## ${phase.name}`,
        '',
        `Load: ${SECONDS} s at a fixed ${RATE} req/s (autocannon overallRate) over ${CONNECTIONS} keep-alive connections on loopback; ` +
          `each connection cycles through: ${phase.kinds.map((k) => k.name).join(', ')}.`,
        '',
        '| measure | value | pass when |',
        '|---|---|---|',
        `| verdict | ${mine.length === 0 ? 'PASS' : `FAIL: ${mine.join('; ')}`} | |`,
        `| requests sent / answered 2xx / 4xx / 5xx | ${result.requests.total} / ${result.requests.total - result.non2xx} / ${(result as unknown as Record<string, number>)['4xx'] ?? 0} / ${serverErrors} | ≥ 90 % of ${expected} sent |`,
        `| errors | ${errors} | 0 (${phase.hostile ? 'connection errors, timeouts and 5xx; 401/404 are the expected refusals' : 'connection errors, timeouts and non-2xx'}) |`,
        `| latency p50 / p90 / p99 / max | ${result.latency.p50} / ${result.latency.p90} / ${result.latency.p99} / ${result.latency.max} ms | reported |`,
        `| throughput | ${round1(result.requests.average)} req/s, ${round1(result.throughput.average / 1024 / 1024)} MiB/s | reported |`,
        `| RSS before the load / after the warm-up (${Math.round(warmup)} s) / at the end / peak | ${round1(first)} / ${round1(atWarmup)} / ${round1(last)} / ${round1(peak)} MiB | ${phase.hostile ? `peak − before ≤ ${CACHE_MB} + ${HEADROOM} MiB` : 'reported'} |`,
        `| RSS growth after the warm-up (least-squares slope over ${steady.length} samples, every ${SAMPLE_SECONDS} s) | ${round1(growthPerMin)} MiB/min | < ${MAX_GROWTH} MiB/min |`,
        '',
        '<details><summary>RSS samples (s → MiB)</summary>',
        '',
        samples.map((x) => `${Math.round(x.t)}→${round1(x.rss)}`).join(' '),
        '',
        '</details>',
        '',
      )
    }
    const report = lines.join('\n')
    console.log(report)
    writeFileSync(join(ROOT, 'bench', 'soak-results.md'), report)
    return failures.length === 0 ? 0 : 1
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r))
      child.kill('SIGTERM')
      await Promise.race([exited, sleep(15_000)])
      if (child.exitCode === null) child.kill('SIGKILL')
    }
    rmSync(work, { recursive: true, force: true })
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`soak: ${(err as Error).message}`)
    process.exit(1)
  },
)
