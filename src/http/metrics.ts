// Prometheus metrics: one registry per app (built by createMetrics, never prom-client's global one, so
// two apps in one process do not clash), request counting and timing hooks, and GET /metrics.
//
// What is measured where:
// - http_requests_total / http_request_duration_seconds (prom-client): fastify's own hrtime (reply.elapsedTime),
//   observed in onResponse, labelled with the route pattern (`/v1/instance-types/:name`), never the raw URL;
//   requests no route matched are labelled route="unmatched".
// - cni_answer_cache_*: the answer pipeline's one cache, read at scrape; answer_lookups_total counts the
//   lookups of finished answers only (a miss there is a question not asked before), lookups_total all of them.
// - cni_catalog_version, cni_catalog_price_age_days{region}: read from the snapshot in memory at scrape.
// - cni_refresh_runs_total{status}: read from the refresh_runs table at scrape (one cheap GROUP BY).
//   Refreshes also run in the CronJob's process and on other replicas, so only the shared table knows
//   them all: every replica reports the same cluster-wide totals (aggregate with max(), not sum()).
//   When the database does not answer within a second the scrape still succeeds, with the last values
//   read and cni_db_up 0; at most one such read is in flight at a time.
// - cni_db_pool_total/idle/waiting: pg.Pool usage via Db.stats() (absent on PGlite, which has no pool).
// - the default process and Node.js metrics (collectDefaultMetrics on this registry).
import type { FastifyInstance, onResponseHookHandler } from 'fastify'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { catalogStamp } from '../answers/answers.js'
import type { AppContext } from './context.js'

export interface AppMetrics {
  readonly registry: Registry
  /** The Prometheus text exposition of every metric (after the scrape-time reads). */
  render(): Promise<string>
  readonly contentType: string
  /** An observer bound to one route pattern (what the per-route hooks use). */
  observerFor(route: string): RouteObserver
}

export const UNMATCHED_ROUTE = 'unmatched'
export const REFRESH_STATUSES = ['succeeded', 'failed', 'refused'] as const
const DB_READ_TIMEOUT_MS = 1000

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's metrics; null when METRICS=off. */
    metrics: AppMetrics | null
  }
}

type RefreshStatus = (typeof REFRESH_STATUSES)[number]

/** Reads refresh_runs at scrape time: one query in flight at most, bounded wait, last values kept on failure. */
class RefreshRunsReader {
  counts: Record<RefreshStatus, number> = { succeeded: 0, failed: 0, refused: 0 }
  lastSuccessSeconds: number | null = null
  up = 0
  private running: Promise<void> | null = null

  constructor(private readonly ctx: Pick<AppContext, 'db'>) {}

  read(timeoutMs: number): Promise<void> {
    if (!this.running) {
      this.running = this.query().finally(() => {
        this.running = null
      })
    }
    const running = this.running
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.up = 0
        resolve()
      }, timeoutMs)
      running.then(
        () => {
          clearTimeout(timer)
          this.up = 1
          resolve()
        },
        () => {
          clearTimeout(timer)
          this.up = 0
          resolve()
        },
      )
    })
  }

  private async query(): Promise<void> {
    const { rows } = await this.ctx.db.query<{ status: string; n: string | number; last_success: Date | string | null }>(
      `SELECT status, count(*) AS n,
              max(finished_at) FILTER (WHERE status = 'succeeded') AS last_success
       FROM refresh_runs WHERE status <> 'running' GROUP BY status`,
    )
    const counts: Record<RefreshStatus, number> = { succeeded: 0, failed: 0, refused: 0 }
    let lastSuccess: number | null = null
    for (const r of rows) {
      if ((REFRESH_STATUSES as readonly string[]).includes(r.status)) counts[r.status as RefreshStatus] = Number(r.n)
      if (r.last_success !== null) lastSuccess = new Date(r.last_success).getTime() / 1000
    }
    this.counts = counts
    this.lastSuccessSeconds = lastSuccess
  }
}

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** Records a request of one route: its method, status code and duration. */
export type RouteObserver = (method: string, statusCode: number, seconds: number) => void

interface SeriesChildren {
  total: { inc(): void }
  duration: { observe(seconds: number): void }
}

/**
 * http_requests_total and http_request_duration_seconds on prom-client's Counter and Histogram.
 * Each route gets an observer bound to its pattern (forRoute), which keeps the label children of each
 * method and status code it has seen, so a request looks up two small Maps and builds no label object.
 * prom-client still validates and hashes the labels on every observation: ~1.1 µs per request for both
 * metrics, measured on this machine (bench/results.md, "request metrics"), about 2 % of the cheapest
 * answer (a kept max-pods, ~55 µs of CPU) and less on a miss, so the library stays: the hand-written
 * series it replaced saved ~1 µs. Label values come from the route table, the method and the status,
 * so the series stay few.
 */
export class RequestMetrics {
  private readonly total: Counter<'method' | 'route' | 'status_code'>
  private readonly duration: Histogram<'method' | 'route' | 'status_code'>
  private readonly routes = new Map<string, Map<string, Map<number, SeriesChildren>>>()

  constructor(readonly registry: Registry = new Registry()) {
    const labelNames = ['method', 'route', 'status_code'] as const
    this.total = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code',
      labelNames,
      registers: [registry],
    })
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from receiving a request to the end of its answer, by method, route pattern and status code',
      labelNames,
      buckets: DURATION_BUCKETS,
      registers: [registry],
    })
  }

  forRoute(route: string): RouteObserver {
    let byMethod = this.routes.get(route)
    if (!byMethod) {
      byMethod = new Map()
      this.routes.set(route, byMethod)
    }
    const methods = byMethod
    return (method, statusCode, seconds) => {
      let byStatus = methods.get(method)
      if (!byStatus) {
        byStatus = new Map()
        methods.set(method, byStatus)
      }
      let children = byStatus.get(statusCode)
      if (!children) {
        const labels = { method, route, status_code: String(statusCode) }
        children = { total: this.total.labels(labels), duration: this.duration.labels(labels) }
        byStatus.set(statusCode, children)
      }
      children.total.inc()
      children.duration.observe(seconds)
    }
  }

  /** The text exposition of the registry these metrics are in. */
  render(): Promise<string> {
    return this.registry.metrics()
  }
}

/** A fresh registry with every metric of the service, reading `ctx` at scrape time. */
export function createMetrics(ctx: Pick<AppContext, 'db' | 'catalog' | 'clock' | 'config' | 'answers'>): AppMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  const http = new RequestMetrics(registry)

  const { catalog } = ctx
  // The answer pipeline's one cache (MEMORY_CACHE_MB): its size against its budget, and how often it answered.
  const cache = ctx.answers.cache
  new Gauge({
    name: 'cni_answer_cache_bytes',
    help: 'Bytes the answer cache holds: rendered answers, their gzip copies, worked-out values and their keys',
    registers: [registry],
    collect() {
      this.set(cache.bytes)
    },
  })
  new Gauge({
    name: 'cni_answer_cache_budget_bytes',
    help: 'The answer cache budget (MEMORY_CACHE_MB)',
    registers: [registry],
    collect() {
      this.set(cache.budget)
    },
  })
  new Gauge({
    name: 'cni_answer_cache_entries',
    help: 'Entries in the answer cache',
    registers: [registry],
    collect() {
      this.set(cache.entries)
    },
  })
  new Counter({
    name: 'cni_answer_cache_lookups_total',
    help: 'Answer cache lookups by result (hit, miss)',
    labelNames: ['result'] as const,
    registers: [registry],
    collect() {
      this.reset()
      this.inc({ result: 'hit' }, cache.hits)
      this.inc({ result: 'miss' }, cache.misses)
    },
  })
  new Counter({
    name: 'cni_answer_cache_answer_lookups_total',
    help: 'Of the answer cache lookups, those of finished answers (a hit = a question asked before), by result (hit, miss)',
    labelNames: ['result'] as const,
    registers: [registry],
    collect() {
      this.reset()
      this.inc({ result: 'hit' }, cache.answerHits)
      this.inc({ result: 'miss' }, cache.answerMisses)
    },
  })
  new Counter({
    name: 'cni_answer_cache_evictions_total',
    help: 'Answers evicted from the cache to stay within its budget',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(cache.evictions)
    },
  })
  new Gauge({
    name: 'cni_catalog_version',
    help: 'The catalog version this replica serves from memory (0 before the first load)',
    registers: [registry],
    collect() {
      this.set(catalog.loaded ? catalog.current().version : 0)
    },
  })
  new Gauge({
    name: 'cni_catalog_price_age_days',
    help: 'Age in whole days of the oldest price of each region in the catalog this replica serves',
    labelNames: ['region'] as const,
    registers: [registry],
    collect() {
      this.reset()
      if (!catalog.loaded) return
      const snap = catalog.current()
      const freshness = ctx.answers.freshness
      for (const r of snap.regions) {
        const age = catalogStamp(snap, r.region, freshness).priceAgeDays
        if (age !== null) this.set({ region: r.region }, age)
      }
    },
  })

  const runs = new RefreshRunsReader(ctx)
  new Counter({
    name: 'cni_refresh_runs_total',
    help: 'Finished catalog refresh runs by status, read from the shared refresh_runs table (cluster-wide: aggregate replicas with max)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      await runs.read(DB_READ_TIMEOUT_MS)
      this.reset()
      for (const status of REFRESH_STATUSES) this.inc({ status }, runs.counts[status])
    },
  })
  new Gauge({
    name: 'cni_refresh_last_success_timestamp_seconds',
    help: 'When the last successful catalog refresh finished (Unix seconds; 0 if none yet), from refresh_runs',
    registers: [registry],
    async collect() {
      await runs.read(DB_READ_TIMEOUT_MS)
      this.set(runs.lastSuccessSeconds ?? 0)
    },
  })
  new Gauge({
    name: 'cni_db_up',
    help: `1 when the database answered this scrape's read within ${DB_READ_TIMEOUT_MS} ms, 0 otherwise`,
    registers: [registry],
    async collect() {
      await runs.read(DB_READ_TIMEOUT_MS)
      this.set(runs.up)
    },
  })

  const stats = ctx.db.stats?.bind(ctx.db)
  if (stats) {
    const pool = [
      ['cni_db_pool_total', 'Connections in the PostgreSQL pool, busy or idle', 'total'],
      ['cni_db_pool_idle', 'Idle connections in the PostgreSQL pool', 'idle'],
      ['cni_db_pool_waiting', 'Queries waiting for a PostgreSQL pool connection', 'waiting'],
    ] as const
    for (const [name, help, key] of pool) {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(stats()[key])
        },
      })
    }
  }

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    observerFor: (route) => http.forRoute(route),
  }
}

/**
 * Installs the metrics on the root app according to METRICS: `off` installs nothing; otherwise the
 * hooks count every request, and with `on` GET /metrics is served on the main port (with a port
 * number server.ts serves the same registry on its own listener, see metrics-server.ts).
 * Call on the root instance before the routes are registered.
 */
export function registerMetrics(app: FastifyInstance, ctx: AppContext): AppMetrics | null {
  if (ctx.config.metrics === 'off') {
    app.decorate('metrics', null)
    return null
  }
  const metrics = createMetrics(ctx)
  app.decorate('metrics', metrics)
  // Each route gets its own onResponse hook that already knows its pattern (request.routeOptions builds
  // a fresh object on every read); requests no route matched are counted by one global hook.
  // fastify takes hrtime when a request arrives (reply.elapsedTime, ms): no timing hook of our own.
  app.addHook('onRoute', (route) => {
    const observeRoute = metrics.observerFor(route.url ?? UNMATCHED_ROUTE)
    const observe: onResponseHookHandler = (request, reply, done) => {
      observeRoute(request.method, reply.statusCode, reply.elapsedTime / 1000)
      done()
    }
    const existing = route.onResponse
    route.onResponse = existing === undefined ? [observe] : [...(Array.isArray(existing) ? existing : [existing]), observe]
  })
  const observeUnmatched = metrics.observerFor(UNMATCHED_ROUTE)
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) observeUnmatched(request.method, reply.statusCode, reply.elapsedTime / 1000)
    done()
  })
  if (ctx.config.metrics === 'on') {
    app.get(
      '/metrics',
      {
        schema: { tags: ['health'], summary: 'Prometheus metrics (text exposition format); METRICS=off hides it, METRICS=<port> moves it' },
        logLevel: 'warn',
      },
      async (_request, reply) => {
        const body = await metrics.render()
        return reply.type(metrics.contentType).send(body)
      },
    )
  }
  return metrics
}
