import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'
import { createMetricsServer } from '../../src/metrics-server.js'
import { backend, buildTestApp, freshDatabase } from '../helper.js'

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** The samples of a Prometheus text exposition (enough of the format for these tests). */
function parse(text: string): Sample[] {
  const out: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new Error(`not an exposition line: ${line}`)
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!
    out.push({ name: m[1]!, labels, value: Number(m[3]) })
  }
  return out
}

function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
}

function one(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = find(samples, name, labels)
  if (found.length !== 1) throw new Error(`expected one ${name} ${JSON.stringify(labels)}, found ${found.length}`)
  return found[0]!.value
}

// One app on one fresh database for the tests that do not need their own (building one takes seconds).
const shared = await buildTestApp(t)

t.test('GET /metrics: request counts by route pattern, catalog, refresh runs, process metrics', async (t) => {
  const app = shared
  t.ok(app.metrics, 'METRICS defaults to on')

  t.equal((await app.inject('/v1/instance-types/m5.large')).statusCode, 200)
  t.equal((await app.inject('/v1/instance-types/m5.large')).statusCode, 200)
  t.equal((await app.inject('/v1/instance-types/nope.large')).statusCode, 404)
  t.equal((await app.inject('/no/such/route?x=1')).statusCode, 404)
  const catalog = (await app.inject('/v1/catalog')).json()

  const res = await app.inject('/metrics')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  const s = parse(res.body)

  t.equal(one(s, 'http_requests_total', { method: 'GET', route: '/v1/instance-types/:name', status_code: '200' }), 2)
  t.equal(one(s, 'http_requests_total', { method: 'GET', route: '/v1/instance-types/:name', status_code: '404' }), 1, 'a 404 of a matched route keeps its pattern')
  t.equal(one(s, 'http_requests_total', { method: 'GET', route: 'unmatched', status_code: '404' }), 1)
  t.notOk(/m5\.large|nope\.large|no\/such/.test(res.body), 'never the raw URL')
  t.equal(one(s, 'http_request_duration_seconds_count', { route: '/v1/instance-types/:name', status_code: '200' }), 2)
  t.equal(one(s, 'http_request_duration_seconds_bucket', { route: '/v1/instance-types/:name', status_code: '200', le: '+Inf' }), 2)
  t.ok(one(s, 'http_request_duration_seconds_sum', { route: '/v1/instance-types/:name', status_code: '200' }) > 0)

  t.equal(one(s, 'cni_catalog_version'), catalog.version)
  t.ok(catalog.regions.length > 0)
  for (const r of catalog.regions) t.equal(one(s, 'cni_catalog_price_age_days', { region: r.region }), r.priceAgeDays, r.region)

  for (const status of ['succeeded', 'failed', 'refused']) t.equal(one(s, 'cni_refresh_runs_total', { status }), 0, status)
  t.equal(one(s, 'cni_refresh_last_success_timestamp_seconds'), 0)
  t.equal(one(s, 'cni_db_up'), 1)

  t.ok(find(s, 'process_cpu_user_seconds_total').length === 1, 'default process metrics')
  t.ok(find(s, 'nodejs_heap_size_total_bytes').length === 1, 'default Node.js metrics')
  if (backend === 'postgres') {
    t.ok(one(s, 'cni_db_pool_total') >= 1, 'pg pool usage')
    t.ok(one(s, 'cni_db_pool_idle') >= 0)
    t.equal(one(s, 'cni_db_pool_waiting'), 0)
  } else {
    t.equal(find(s, 'cni_db_pool_total').length, 0, 'PGlite has no pool to report')
  }

  // Runs finished by any process (the CronJob, another replica) are in the shared table.
  await app.ctx.db.query(
    `INSERT INTO refresh_runs (regions, status, finished_at) VALUES
       ('{us-east-1}', 'succeeded', '2030-01-02T03:04:05Z'), ('{us-east-1}', 'failed', now()),
       ('{us-east-1}', 'failed', now()), ('{eu-west-1}', 'refused', now()), ('{us-east-1}', 'running', NULL)`,
  )
  const after = parse((await app.inject('/metrics')).body)
  t.equal(one(after, 'cni_refresh_runs_total', { status: 'succeeded' }), 1)
  t.equal(one(after, 'cni_refresh_runs_total', { status: 'failed' }), 2)
  t.equal(one(after, 'cni_refresh_runs_total', { status: 'refused' }), 1)
  t.equal(find(after, 'cni_refresh_runs_total', { status: 'running' }).length, 0, 'running is not a finished run')
  t.equal(one(after, 'cni_refresh_last_success_timestamp_seconds'), Date.parse('2030-01-02T03:04:05Z') / 1000)
  t.equal(one(after, 'http_requests_total', { method: 'GET', route: '/metrics', status_code: '200' }), 1)
})

t.test('the scrape does not fail when the database is down: last values, cni_db_up 0, one read in flight', async (t) => {
  const app = shared
  await app.ctx.db.query(`INSERT INTO refresh_runs (regions, status, finished_at) VALUES ('{us-east-1}', 'failed', now())`)
  t.equal(one(parse((await app.inject('/metrics')).body), 'cni_refresh_runs_total', { status: 'failed' }), 3)

  const query = app.ctx.db.query
  t.teardown(() => {
    app.ctx.db.query = query
  })
  app.ctx.db.query = async () => {
    throw new Error('connection refused')
  }
  const refused = await app.inject('/metrics')
  t.equal(refused.statusCode, 200)
  let s = parse(refused.body)
  t.equal(one(s, 'cni_db_up'), 0)
  t.equal(one(s, 'cni_refresh_runs_total', { status: 'failed' }), 3, 'the last values read are kept')
  t.equal(one(s, 'cni_catalog_version'), app.ctx.catalog.current().version, 'the catalog in memory is still reported')

  // A database that does not answer at all: the scrape waits a bounded time, and does not pile up reads.
  let calls = 0
  let release: () => void = () => {}
  app.ctx.db.query = (() => {
    calls++
    return new Promise((_resolve, reject) => {
      release = () => reject(new Error('timeout'))
    })
  }) as typeof query
  const started = Date.now()
  const hanging = await app.inject('/metrics')
  t.equal(hanging.statusCode, 200)
  t.ok(Date.now() - started < 3000, 'answered within the read timeout')
  s = parse(hanging.body)
  t.equal(one(s, 'cni_db_up'), 0)
  t.equal((await app.inject('/metrics')).statusCode, 200)
  t.equal(calls, 1, 'a second scrape joins the read still in flight')
  release()
  await new Promise((r) => setImmediate(r))

  app.ctx.db.query = query
  t.equal(one(parse((await app.inject('/metrics')).body), 'cni_db_up'), 1, 'recovers by itself')
})

t.test('two apps in one process keep their own registries', async (t) => {
  const a = shared
  const b = await buildTestApp(t)
  t.not(a.metrics!.registry, b.metrics!.registry)
  const healthz = async (app: typeof a) =>
    find(parse((await app.inject('/metrics')).body), 'http_requests_total', { route: '/healthz' }).reduce((n, x) => n + x.value, 0)
  const before = await healthz(a)
  await a.inject('/healthz')
  await a.inject('/healthz')
  await b.inject('/healthz')
  t.equal((await healthz(a)) - before, 2)
  t.equal(await healthz(b), 1)
})

t.test('METRICS=off: no route, no hooks', async (t) => {
  const app = await buildTestApp(t, { env: { METRICS: 'off' } })
  t.equal(app.metrics, null)
  const res = await app.inject('/metrics')
  t.equal(res.statusCode, 404)
  t.match(res.json().message, /\/metrics not found/)
})

t.test('METRICS=<port>: not on the main port; the separate listener serves the same registry', async (t) => {
  const app = await buildTestApp(t, { env: { METRICS: '9464' } })
  t.equal(app.ctx.config.metrics, 9464)
  t.equal((await app.inject('/metrics')).statusCode, 404, 'off the public port')
  await app.inject('/v1/instance-types/m5.large')

  const server = createMetricsServer(app.metrics!)
  t.teardown(() => server.close())
  const addr = await server.listen(0, '127.0.0.1')
  const base = `http://127.0.0.1:${addr.port}`

  const res = await fetch(`${base}/metrics`)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  const s = parse(await res.text())
  t.equal(one(s, 'http_requests_total', { route: '/v1/instance-types/:name', status_code: '200' }), 1)
  t.equal(one(s, 'cni_catalog_version'), app.ctx.catalog.current().version)

  const head = await fetch(`${base}/metrics`, { method: 'HEAD' })
  t.equal(head.status, 200)
  t.equal(await head.text(), '')
  const post = await fetch(`${base}/metrics`, { method: 'POST' })
  t.equal(post.status, 405)
  t.equal(post.headers.get('allow'), 'GET, HEAD')
  const other = await fetch(`${base}/v1/catalog`)
  t.equal(other.status, 404)
  t.match((await other.json()) as object, { statusCode: 404, message: /serves GET \/metrics only/ })

  await server.close()
  t.notOk(server.server.listening)
  await server.close()
})

t.test('the metrics listener reports a failing render as a JSON 500, and a busy port on listen', async (t) => {
  const server = createMetricsServer({ contentType: 'text/plain', render: async () => Promise.reject(new Error('boom')) })
  t.teardown(() => server.close())
  const addr = await server.listen(0, '127.0.0.1')
  const res = await fetch(`http://127.0.0.1:${addr.port}/metrics`)
  t.equal(res.status, 500)
  t.match((await res.json()) as object, { message: /metrics failed: boom/ })

  const second = createMetricsServer({ contentType: 'text/plain', render: async () => '' })
  await t.rejects(second.listen(addr.port, '127.0.0.1'), { code: 'EADDRINUSE' })
})

t.test('METRICS configuration', async (t) => {
  t.equal(loadConfig({}).metrics, 'on')
  t.equal(loadConfig({ METRICS: ' On ' }).metrics, 'on')
  t.equal(loadConfig({ METRICS: 'OFF' }).metrics, 'off')
  t.equal(loadConfig({ METRICS: '9464' }).metrics, 9464)
  for (const bad of ['yes', '0', '70000', '94.64', '-1']) {
    t.throws(() => loadConfig({ METRICS: bad }), new ConfigError(`METRICS must be on, off, or a port number from 1 to 65535 for a separate listener; got "${bad}"`), bad)
  }
  t.throws(() => loadConfig({ METRICS: '8080', PORT: '8080' }), { name: 'ConfigError', message: /METRICS must be a port other than PORT \(8080\)/ })
})

t.test('Db.stats(): pg pool usage on PostgreSQL, nothing on PGlite', async (t) => {
  const { db } = await freshDatabase(t)
  if (backend === 'pglite') {
    t.equal(db.stats, undefined)
    return
  }
  await db.ping()
  const stats = db.stats!()
  t.same(Object.keys(stats).sort(), ['idle', 'total', 'waiting'])
  t.ok(stats.total >= 1 && stats.idle <= stats.total && stats.waiting === 0)
})

t.test('request series render as a Prometheus histogram, labels escaped', async (t) => {
  const { RequestMetrics } = await import('../../src/http/metrics.js')
  const m = new RequestMetrics()
  const observe = m.forRoute('/a"b\\c')
  observe('GET', 200, 0.003)
  observe('GET', 200, 7)
  observe('GET', 200, 60)
  const text = await m.render()
  const labels = 'method="GET",route="/a\\"b\\\\c",status_code="200"'
  t.match(text, `http_requests_total{${labels}} 3`)
  t.match(text, `http_request_duration_seconds_bucket{le="0.005",${labels}} 1`)
  t.match(text, `http_request_duration_seconds_bucket{le="10",${labels}} 2`)
  t.match(text, `http_request_duration_seconds_bucket{le="+Inf",${labels}} 3`)
  t.match(text, `http_request_duration_seconds_sum{${labels}} 67.003`)
  t.match(text, '# TYPE http_request_duration_seconds histogram')
})

t.test('route observers share a series per method and status code', async (t) => {
  const { RequestMetrics } = await import('../../src/http/metrics.js')
  const m = new RequestMetrics()
  const a = m.forRoute('/v1/x')
  const again = m.forRoute('/v1/x')
  a('GET', 200, 0.001)
  again('GET', 200, 0.002)
  a('GET', 404, 0.001)
  a('HEAD', 200, 0.001)
  m.forRoute('/v1/y')('GET', 200, 0.001)
  m.forRoute('/v1/x')('GET', 200, 0.001)
  const text = await m.render()
  t.match(text, 'http_requests_total{method="GET",route="/v1/x",status_code="200"} 3')
  t.match(text, 'http_requests_total{method="GET",route="/v1/x",status_code="404"} 1')
  t.match(text, 'http_requests_total{method="HEAD",route="/v1/x",status_code="200"} 1')
  t.match(text, 'http_requests_total{method="GET",route="/v1/y",status_code="200"} 1')
  t.equal(text.split('\n').filter((l) => l.startsWith('http_requests_total{')).length, 4, 'one series each, no duplicates')
})
