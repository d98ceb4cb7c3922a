// A refresh run: pulls network limits and on-demand prices from AWS and replaces the catalog with them,
// whole or not at all. Every run leaves a row in refresh_runs (written before the first AWS call, so a
// crash leaves evidence), and sanity gates refuse a result that would quietly empty the catalog.
//
// Nothing in a run waits for ever: the whole run has a deadline (REFRESH_TIMEOUT_SECONDS), which stops
// the AWS calls in flight through an AbortSignal and rolls back a write that has not committed; each of
// its bookkeeping queries has a timeout of its own, so a database that does not answer is reported as
// unavailable (503) within seconds. A run left `running` by a process that died is closed as soon as
// anyone looks (the next refresh, or the list of runs): a running run writes a heartbeat, and one whose
// heartbeat stopped, or (embedded database, one process) that no live process owns, is marked failed.
//
// This file is the orchestration (fetch, plan, write, bookkeeping, and the deadline around them) and the
// errors callers answer with.
//
// Memory: a refresh of every commercial region is ~1,500 AWS pages and ~90,000 prices. The fetch runs in
// a worker thread with a small heap of its own (fetch-worker.ts), so its garbage and the SDK are gone
// when it ends; the write plans from the names of the types priced per region and kind, not from the
// current price rows (repository.ts readPricedTypes), and writes the prices in batches (insertPrices);
// the reload reads the new version by region (store.ts readSnapshot). Together they keep a full refresh
// of every region within 95-120 MiB of the idle service (bench/scale-results.md), where fetching in this
// thread and reading and writing every price row at once took 250-320 MiB. What the catalog becomes, and the gates, are decided without a database
// in catalog-change.ts; the refresh_runs statements are in refresh-runs.ts. What callers imported from
// here before the split is re-exported, so they need not know.
//
// Used by the CLI (scripts/refresh.ts), POST /v1/admin/refresh and the GraphQL refreshCatalog mutation.

import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { ADVISORY_LOCKS, type Db, type Queryable } from '../db/db.js'
import { InputError } from '../domain/types.js'
import { ALL_REGIONS, fetchCatalog, pricingEndpointRegion, type AwsSourceOptions, type CatalogResult } from './aws-source.js'
import { fetchCatalogInWorker } from './fetch-worker.js'
import { catalogLimits, changeNote, planCatalogChange, REFRESH_SOURCE, type CatalogDiff, type CatalogLimits } from './catalog-change.js'
import {
  closeAbandonedRuns,
  finishRun,
  insertRun,
  listRuns,
  reserveRunId,
  RUN_HEARTBEAT_MS,
  RUN_STALE_AFTER_MS,
  writeHeartbeat,
  type RefreshRun,
  type RefreshRunStatus,
  type RunEnd,
} from './refresh-runs.js'
import { Interner, readInstanceTypes, readPricedTypes, readStoragePrices, replaceCatalog } from './repository.js'

export { DEFAULT_MAX_DROP_SHARE, REFRESH_SOURCE } from './catalog-change.js'
export { ALL_REGIONS } from './aws-source.js'
export { RUN_HEARTBEAT_MS, RUN_STALE_AFTER_MS, type RefreshRun, type RefreshRunStatus } from './refresh-runs.js'

/** The most regions one refresh covers, named or found: the commercial partition has 36 (the AWS SDK's
 * partitions.js, @aws-sdk/core 3.981), so every one of them fits, with room for those AWS opens next. */
export const MAX_REGIONS = 64
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d$/

export interface RefreshLog {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

/** What the app hands every door that can start a refresh (tests inject the fetch or the clients). */
export interface RefreshDeps {
  fetch?: typeof fetchCatalog
  awsOptions?: AwsSourceOptions
  /** How long one bookkeeping query (recording a run, listing runs) may wait for the database before it
   * counts as unavailable (503). Default DEFAULT_DB_TIMEOUT_MS. */
  dbTimeoutMs?: number
}

export interface RefreshOptions extends RefreshDeps {
  /** Refuse when more than this share (0-1) of the current instance types would disappear. Default 0.1. */
  maxDropShare?: number
  /** The same for the current prices of each refreshed region. Default: maxDropShare. */
  maxPriceDropShare?: number
  clock?: () => Date
  log?: RefreshLog
  /** The deadline of the whole run in ms (REFRESH_TIMEOUT_SECONDS × 1000). Default 300 s. */
  timeoutMs?: number
  /** Stops the run from outside (the service shutting down); its reason says why. RefreshStoppedError. */
  signal?: AbortSignal
  /** How often a running run writes its heartbeat (tests). Default RUN_HEARTBEAT_MS. */
  heartbeatMs?: number
}

/** REFRESH_TIMEOUT_SECONDS' default: a full refresh of a few regions takes well under a minute. */
export const DEFAULT_REFRESH_TIMEOUT_SECONDS = 300
/** How long a bookkeeping query may wait: the pool's own connection timeout (src/db/postgres.ts) is 5 s. */
export const DEFAULT_DB_TIMEOUT_MS = 5_000

/** What a successful run reports: the plan's diff (catalog-change.ts), and where and how long. */
export interface RefreshReport extends CatalogDiff {
  runId: number
  status: 'succeeded'
  catalogVersion: number
  /** The regions refreshed: as asked, or every commercial region the Price List API knows. */
  regions: string[]
  /** Of those, the regions the account has not enabled: priced from the Price List API only (no spot
   * prices, no instance types from there). Only a refresh of every region skips EC2 for them. */
  notEnabled: string[]
  durationMs: number
}

/** Another refresh holds the lock (another replica, or this process): nothing was written. HTTP 409. */
export class RefreshInProgressError extends Error {
  readonly statusCode = 409
  constructor(readonly runId: number) {
    super(`another catalog refresh is in progress (on this or another replica); this run (${runId}) was refused and the catalog is unchanged; try again when it has finished`)
    this.name = 'RefreshInProgressError'
  }
}

/** A sanity gate refused the result: nothing was written. HTTP 422. */
export class RefreshRefusedError extends Error {
  readonly statusCode = 422
  constructor(
    readonly runId: number,
    readonly reasons: string[],
  ) {
    super(`refresh run ${runId} refused, the catalog is unchanged: ${reasons.join('; ')}`)
    this.name = 'RefreshRefusedError'
  }
}

/** AWS (or the database) failed during the run: nothing was written. HTTP 502. The subclasses say why
 * the run ended early: RefreshTimeoutError (504) and RefreshStoppedError (503). */
export class RefreshFailedError extends Error {
  readonly statusCode: 502 | 503 | 504 = 502
  constructor(
    readonly runId: number,
    readonly reason: string,
    options?: { cause?: unknown; catalogMayHaveChanged?: boolean },
  ) {
    const catalog = options?.catalogMayHaveChanged ? 'the catalog may have changed' : 'the catalog is unchanged'
    super(`refresh run ${runId} failed, ${catalog}: ${reason}`, options)
    this.name = 'RefreshFailedError'
  }
}

/** The run's deadline (REFRESH_TIMEOUT_SECONDS) passed, or AWS did not answer within the request
 * timeouts: the run was stopped, recorded as failed, and nothing was written. HTTP 504. */
export class RefreshTimeoutError extends RefreshFailedError {
  override readonly statusCode = 504
  constructor(runId: number, reason: string, options?: { cause?: unknown; catalogMayHaveChanged?: boolean }) {
    super(runId, reason, options)
    this.name = 'RefreshTimeoutError'
  }
}

/** The run was stopped from outside (the service shutting down, the CLI told to stop): recorded as
 * failed, nothing written. HTTP 503. */
export class RefreshStoppedError extends RefreshFailedError {
  override readonly statusCode = 503
  constructor(runId: number, reason: string, options?: { cause?: unknown; catalogMayHaveChanged?: boolean }) {
    super(runId, reason, options)
    this.name = 'RefreshStoppedError'
  }
}

const silentLog: RefreshLog = { info() {}, warn() {}, error() {} }

/** Whether `regions` asks for every commercial region: ALL_REGIONS, or a list of just "all" (how the CLI's
 * --regions and the admin route's body say it). */
export function asksForAllRegions(regions: unknown): boolean {
  return regions === ALL_REGIONS || (Array.isArray(regions) && regions.length === 1 && regions[0] === ALL_REGIONS)
}

/** Checks and de-duplicates the regions; throws an InputError naming `regions`. */
export function validateRegions(regions: unknown): string[] {
  if (!Array.isArray(regions) || regions.length === 0) {
    throw new InputError('regions', 'regions must be a non-empty list of region codes like ["us-east-1"], or ["all"]')
  }
  if (regions.length > MAX_REGIONS) {
    throw new InputError('regions', `regions takes at most ${MAX_REGIONS} region codes; got ${regions.length}`)
  }
  const out: string[] = []
  for (const r of regions) {
    const region = typeof r === 'string' ? r.trim() : r
    if (typeof region !== 'string' || !REGION_PATTERN.test(region)) {
      throw new InputError('regions', `regions: ${JSON.stringify(r)} is not a region code; expected something like us-east-1`)
    }
    try {
      pricingEndpointRegion(region)
    } catch (err) {
      throw new InputError('regions', `regions: ${(err as Error).message}`)
    }
    if (!out.includes(region)) out.push(region)
  }
  return out
}

/** The database is away: no run could even be recorded, or the runs cannot be listed. Answered as 503.
 * The message names the database and what went wrong, never its address. */
export class DatabaseUnavailableError extends Error {
  readonly statusCode = 503
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DatabaseUnavailableError'
  }
}

/** A query that got no answer within its timeout. */
class DatabaseTimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${seconds(ms)}`)
    this.name = 'DatabaseTimeoutError'
  }
}

/** `p`, or a DatabaseTimeoutError after `ms`. The query itself is not cancelled (the Db interface has no
 * way to); its late answer or error is ignored. */
async function withDbTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseTimeoutError(ms)), ms)
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

// SQLSTATE classes that mean "the database cannot answer now" rather than "this statement is wrong":
// 08 connection exception, 53 insufficient resources, 57 operator intervention (shutdown, cancel,
// statement timeout), 58 system error. https://www.postgresql.org/docs/current/errcodes-appendix.html
const UNAVAILABLE_SQLSTATE = /^(08|53|57|58)/

/** Why the database did not answer, in words that never include its address (node's connection errors
 * carry host and port in their message, so the message is never used). Null: the database answered,
 * with an error about the statement (a bug, left to the 500 handler). */
export function databaseDownReason(err: unknown): string | null {
  if (err instanceof DatabaseTimeoutError) return err.message
  const e = err as { code?: unknown; message?: unknown } | null
  const code = typeof e?.code === 'string' ? e.code : null
  const message = typeof e?.message === 'string' ? e.message : ''
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    if (!UNAVAILABLE_SQLSTATE.test(code)) return null
    if (code.startsWith('57P')) return `it is shutting down or starting up (SQLSTATE ${code})`
    if (code === '57014') return 'the statement was cancelled (SQLSTATE 57014)'
    if (code.startsWith('53')) return `it is out of resources (SQLSTATE ${code})`
    return `connection failure (SQLSTATE ${code})`
  }
  if (code === 'ECONNREFUSED') return 'connection refused'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'its host name does not resolve'
  if (code) return `connection error ${code}`
  if (/timeout/i.test(message)) return 'no connection within the connection timeout'
  if (/terminated|closed|ended/i.test(message)) return 'the connection was lost'
  return 'no usable connection'
}

function unavailable(db: Db, err: unknown, consequence: string): DatabaseUnavailableError | null {
  const reason = databaseDownReason(err)
  if (reason === null) return null
  return new DatabaseUnavailableError(`the database does not answer (${db.kind}: ${reason}); ${consequence}`, { cause: err })
}

/** Who runs a run: host, pid and a random part (every container's service is pid 1), per database
 * handle. Stored in refresh_runs.owner; on the embedded database a run owned by anyone else is dead. */
const owners = new WeakMap<object, string>()
function ownerOf(db: Db): string {
  let owner = owners.get(db)
  if (!owner) {
    owner = `${hostname()} pid ${process.pid} #${randomUUID().slice(0, 8)}`
    owners.set(db, owner)
  }
  return owner
}

/** Run ids this database handle is running right now. */
const liveRuns = new WeakMap<object, Set<number>>()
function liveRunsOf(db: Db): Set<number> {
  let set = liveRuns.get(db)
  if (!set) {
    set = new Set()
    liveRuns.set(db, set)
  }
  return set
}

/**
 * Closes the runs left `running` by a process that is gone, and returns their ids:
 *  - on any database, a run whose heartbeat is older than RUN_STALE_AFTER_MS (a live run beats every
 *    RUN_HEARTBEAT_MS; rows from before migration 002 have none, and count from their start);
 *  - on the embedded database, which belongs to one process (src/db/pglite.ts), at once: a run owned
 *    by an earlier process, or by this one but no longer running here.
 * Their catalog writes cannot have landed: a write commits with its run's 'succeeded' in one transaction.
 *
 * Why a heartbeat and not a session advisory lock held for the run (which PostgreSQL would drop with a
 * dead process's connection at once): holding one needs a connection of its own for minutes, and the
 * Db interface (src/db/db.ts) only lends a pooled client inside tx(); node-postgres gives a checked-out
 * client no 'error' listener, so a database restart during the run would crash the process with an
 * uncaught 'error' event. With a heartbeat, a dead run is closed RUN_STALE_AFTER_MS after its last beat.
 */
export async function closeDeadRuns(db: Db, opts: { dbTimeoutMs?: number } = {}): Promise<number[]> {
  return withDbTimeout(
    closeAbandonedRuns(db, {
      staleAfterMs: RUN_STALE_AFTER_MS,
      owner: ownerOf(db),
      ownedHereOnly: db.kind === 'pglite',
      liveIds: [...liveRunsOf(db)],
    }),
    opts.dbTimeoutMs ?? DEFAULT_DB_TIMEOUT_MS,
  )
}

function seconds(ms: number): string {
  const s = ms / 1000
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`
}

/** Resolves or rejects as `p`, or rejects once the signal aborts: after `graceMs` at most, during which
 * `p` may still settle (an AWS call rejects at once with an error saying where it was stopped). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal, graceMs = 0): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let grace: NodeJS.Timeout | undefined
    const onAbort = () => {
      if (graceMs <= 0) reject(signal.reason)
      else grace = setTimeout(() => reject(signal.reason), graceMs)
    }
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
    const done = () => {
      signal.removeEventListener('abort', onAbort)
      clearTimeout(grace)
    }
    p.then(
      (v) => {
        done()
        resolve(v)
      },
      (err: unknown) => {
        done()
        reject(err)
      },
    )
  })
}

/** An AWS call that gave up because AWS did not answer within a connection/request/socket timeout of the
 * HTTP handler (@smithy/node-http-handler names those errors TimeoutError), after the SDK's retries. */
function isAwsTimeout(err: unknown): boolean {
  for (let e = err as { name?: unknown; code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (e.name === 'TimeoutError' || e.code === 'ETIMEDOUT') return true
  }
  return false
}

/** Refreshes in flight in this process, per database: a second one is refused at once, before it calls AWS. */
const inFlight = new WeakSet<Db>()

/** How a run's write transaction ended when it did not throw: committed, or (nothing written) refused. */
type Outcome =
  | { ok: true; catalogVersion: number; diff: CatalogDiff }
  | { ok: false; error: RefreshInProgressError | RefreshRefusedError }

/** Why a run was stopped early, as its `stop` signal was aborted. */
type StopCause = { kind: 'deadline'; timeoutMs: number } | { kind: 'stopped'; why: string }

function stopWhy(reason: unknown): string {
  if (reason instanceof Error) return reason.message
  return typeof reason === 'string' && reason !== '' ? reason : 'the refresh was cancelled'
}

/** A run's options with their defaults, checked before anything is recorded. */
interface RunSettings {
  opts: RefreshOptions
  /** The regions asked for, checked; or every commercial region (ALL_REGIONS), found by the fetch. */
  wanted: string[] | typeof ALL_REGIONS
  limits: CatalogLimits
  timeoutMs: number
  dbTimeoutMs: number
  clock: () => Date
  log: RefreshLog
  fetch: typeof fetchCatalog
  /** On `clock`, for the report's durationMs. */
  started: number
}

/** What stops a run early: its deadline, or the caller's signal. */
interface RunStop {
  signal: AbortSignal
  /** Date.now() at which the deadline passes. */
  deadlineAt: number
  cause: () => StopCause | null
  /** Clears the deadline timer and the listener on the caller's signal. */
  dispose: () => void
}

/** A run whose row is recorded: from here on every way out records how it ended. */
interface Run {
  db: Db
  id: number
  s: RunSettings
  stop: RunStop
}

/**
 * One refresh run. Resolves with the report when a new catalog version was committed; otherwise throws
 * InputError (bad regions, no run recorded), DatabaseUnavailableError (no run recorded),
 * RefreshInProgressError, RefreshRefusedError or RefreshFailedError (RefreshTimeoutError past the
 * deadline, RefreshStoppedError when `signal` stopped it), each after recording the run, with the
 * catalog untouched.
 */
export async function runRefresh(db: Db, regions: string[] | typeof ALL_REGIONS, opts: RefreshOptions = {}): Promise<RefreshReport> {
  const s = runSettings(regions, opts)
  const stop = startStop(s.timeoutMs, opts.signal)
  let runId: number | undefined
  let heartbeat: NodeJS.Timeout | undefined
  try {
    runId = await openRun(db, s)
    const run: Run = { db, id: runId, s, stop }
    // Refused before it calls AWS: this process is already refreshing this database.
    if (inFlight.has(db)) throw await recordRefusal(run, new RefreshInProgressError(runId))
    inFlight.add(db)
    try {
      heartbeat = startHeartbeat(run)
      s.log.info({ runId, regions: s.wanted }, 'catalog refresh started')
      const { fetched, regions: covered } = await fetchFromAws(run)
      const outcome = await writeChange(run, fetched, covered)
      if (!outcome.ok) throw await recordRefusal(run, outcome.error, fetched)
      return reportSuccess(run, outcome, covered, fetched.notEnabled ?? [])
    } finally {
      inFlight.delete(db)
    }
  } finally {
    stop.dispose()
    clearInterval(heartbeat)
    if (runId !== undefined) liveRunsOf(db).delete(runId)
  }
}

function runSettings(regions: string[] | typeof ALL_REGIONS, opts: RefreshOptions): RunSettings {
  const wanted = asksForAllRegions(regions) ? ALL_REGIONS : validateRegions(regions)
  const limits = catalogLimits(opts)
  const timeoutMs = opts.timeoutMs ?? DEFAULT_REFRESH_TIMEOUT_SECONDS * 1000
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new InputError('timeoutMs', `timeoutMs must be a positive number of milliseconds; got ${timeoutMs}`)
  const clock = opts.clock ?? (() => new Date())
  return {
    opts,
    wanted,
    limits,
    timeoutMs,
    dbTimeoutMs: opts.dbTimeoutMs ?? DEFAULT_DB_TIMEOUT_MS,
    clock,
    log: opts.log ?? silentLog,
    // In a worker thread with a heap of its own (fetch-worker.ts), unless the clients are injected.
    fetch: opts.fetch ?? fetchCatalogInWorker,
    started: clock().getTime(),
  }
}

/** Arms the deadline (on the real clock: opts.clock may be a fixed test clock), from now, and follows
 * the caller's signal; whichever comes first aborts the run's signal with its reason. */
function startStop(timeoutMs: number, outer: AbortSignal | undefined): RunStop {
  const deadlineAt = Date.now() + timeoutMs
  const stop = new AbortController()
  let cause: StopCause | null = null
  const stopWith = (c: StopCause) => {
    if (stop.signal.aborted) return
    cause = c
    stop.abort(new Error(c.kind === 'deadline' ? `the refresh deadline (REFRESH_TIMEOUT_SECONDS, ${seconds(timeoutMs)}) passed` : c.why))
  }
  const deadline = setTimeout(() => stopWith({ kind: 'deadline', timeoutMs }), timeoutMs)
  const onOuterAbort = () => stopWith({ kind: 'stopped', why: stopWhy(outer?.reason) })
  if (outer?.aborted) onOuterAbort()
  else outer?.addEventListener('abort', onOuterAbort, { once: true })
  return {
    signal: stop.signal,
    deadlineAt,
    cause: () => cause,
    dispose: () => {
      clearTimeout(deadline)
      outer?.removeEventListener('abort', onOuterAbort)
    },
  }
}

/** Records the run as running and returns its id, live in this process from before its row exists.
 * A database that does not answer is a DatabaseUnavailableError: there is no run to record that in. */
async function openRun(db: Db, s: RunSettings): Promise<number> {
  const live = liveRunsOf(db)
  let runId: number | undefined
  try {
    // Runs left 'running' by a process that died (SIGKILL, OOM, eviction) are closed first.
    const closed = await closeDeadRuns(db, { dbTimeoutMs: s.dbTimeoutMs })
    if (closed.length > 0) s.log.warn({ runIds: closed }, 'closed refresh runs abandoned by a process that is gone')
    // The id is taken, and known to be live here, before its row exists: a concurrent closeDeadRuns
    // can never see this run's row without seeing it among the live ones.
    runId = await withDbTimeout(reserveRunId(db), s.dbTimeoutMs)
    live.add(runId)
    // A refresh of every region records ["all"] until the fetch says which (finishRun).
    await withDbTimeout(insertRun(db, { id: runId, regions: s.wanted === ALL_REGIONS ? [ALL_REGIONS] : s.wanted, owner: ownerOf(db) }), s.dbTimeoutMs)
    return runId
  } catch (err) {
    if (runId !== undefined) live.delete(runId)
    const down = unavailable(db, err, 'nothing was refreshed')
    if (down) {
      s.log.error({ err, runId }, 'the database does not answer; no refresh run could be recorded')
      throw down
    }
    throw err
  }
}

/** Beats while the run runs, so another process can tell it from one whose process died. A missed beat
 * is only logged: the run itself need not fail for it (it is closed as abandoned only after three). */
function startHeartbeat({ db, id, s }: Run): NodeJS.Timeout {
  const heartbeat = setInterval(() => {
    withDbTimeout(writeHeartbeat(db, id), s.dbTimeoutMs).catch((err: unknown) => s.log.warn({ err, runId: id }, 'could not write the refresh run heartbeat'))
  }, s.opts.heartbeatMs ?? RUN_HEARTBEAT_MS)
  heartbeat.unref()
  return heartbeat
}

/** Records how the run ended. Its own failure is logged, not thrown: the caller is already on its way
 * out with the error that matters, and a run left running is closed as abandoned later. */
async function record({ db, id, s }: Run, status: Exclude<RefreshRunStatus, 'running'>, fields: RunEnd): Promise<void> {
  try {
    await withDbTimeout(finishRun(db, id, status, fields), s.dbTimeoutMs)
  } catch (err) {
    s.log.error({ err, runId: id, status }, 'could not record the end of the refresh run')
  }
}

/** Records a refusal (what AWS returned, when it got that far) and returns the error to throw. */
async function recordRefusal<E extends Error>(run: Run, err: E, fetched?: CatalogResult): Promise<E> {
  await record(
    run,
    'refused',
    fetched
      ? { error: err.message, instanceTypes: fetched.instanceTypes.length, prices: fetched.prices.length, skipped: fetched.skipped }
      : { error: err.message },
  )
  run.s.log.warn({ runId: run.id, regions: run.s.wanted }, err.message)
  return err
}

/** The error for a run stopped while `phase`; `err` says where, when it is the AWS source's own. */
function stoppedError({ id, stop }: Run, phase: string, err: unknown, catalogMayHaveChanged = false): RefreshFailedError {
  const cause = stop.cause()
  const where = err instanceof Error && err.name === 'AbortError' && err.message ? `: ${err.message}` : ''
  if (cause?.kind === 'stopped') {
    return new RefreshStoppedError(id, `stopped while ${phase} (${cause.why})${where}`, { cause: err, catalogMayHaveChanged })
  }
  return new RefreshTimeoutError(
    id,
    `timed out after ${seconds(cause?.kind === 'deadline' ? cause.timeoutMs : 0)}, the deadline set by REFRESH_TIMEOUT_SECONDS, while ${phase}${where}; the run was stopped`,
    { cause: err, catalogMayHaveChanged },
  )
}

/** Fetch: the catalog from AWS and the regions it covers, or (recorded as failed) why not, with a
 * timeout told from a failure. */
async function fetchFromAws(run: Run): Promise<{ fetched: CatalogResult; regions: string[] }> {
  const { id, s, stop } = run
  let fetched: CatalogResult
  let regions: string[]
  try {
    const awsOptions: AwsSourceOptions = { log: s.log, now: s.clock, ...s.opts.awsOptions, abortSignal: stop.signal }
    // Raced against the signal too: an injected fetch (or a stuck credential lookup) that does not
    // honour it still cannot hold the run past its deadline.
    fetched = await untilAborted(s.fetch(s.wanted, awsOptions), stop.signal, 250)
    regions = coveredRegions(s.wanted, fetched)
  } catch (err) {
    let failure: RefreshFailedError
    if (stop.signal.aborted) {
      failure = stoppedError(run, 'fetching from AWS', err)
    } else if (isAwsTimeout(err)) {
      failure = new RefreshTimeoutError(
        id,
        `AWS did not answer in time: ${(err as Error).message} (each AWS request has its own timeout; ` +
          `the whole run may take REFRESH_TIMEOUT_SECONDS, ${seconds(s.timeoutMs)})`,
        { cause: err },
      )
    } else {
      failure = new RefreshFailedError(id, `fetching from AWS failed: ${(err as Error).message}`, { cause: err })
    }
    await record(run, 'failed', { error: failure.reason })
    s.log.error({ err, runId: id }, `catalog refresh failed; the catalog is unchanged: ${failure.reason}`)
    throw failure
  }
  if (stop.signal.aborted) {
    // The fetch finished in the grace after the deadline: too late, write nothing.
    const failure = stoppedError(run, 'fetching from AWS', null)
    await record(run, 'failed', { error: failure.reason })
    throw failure
  }
  return { fetched, regions }
}

/** The regions a fetch covered: those asked for, or the ones it found, checked like a list asked for
 * (at most MAX_REGIONS region codes of the partitions the Price List API serves). */
function coveredRegions(wanted: string[] | typeof ALL_REGIONS, fetched: CatalogResult): string[] {
  if (wanted !== ALL_REGIONS) return wanted
  try {
    return validateRegions(fetched.regions ?? [])
  } catch (err) {
    throw new Error(`the regions the Price List API listed cannot be refreshed: ${(err as Error).message}`, { cause: err })
  }
}

/** Write: one transaction that plans and replaces the catalog, bounded by the deadline. Resolves with
 * the outcome (committed, or refused with nothing written); a failure is recorded and thrown. */
async function writeChange(run: Run, fetched: CatalogResult, regions: string[]): Promise<Outcome> {
  const { db, id, s, stop } = run
  // Set just before the transaction's COMMIT is sent: from then on the write may land whatever happens.
  let commitSent = false
  const checkpoint = () => {
    if (stop.signal.aborted) throw stop.signal.reason
  }
  const writing = db.tx(async (q): Promise<Outcome> => {
    if (db.kind === 'postgres') {
      // The server gives up a statement that would outlast the deadline (say, one waiting for a lock),
      // so the transaction rolls back there too. PGlite runs no statement timeout (single-user WASM).
      await q.query("SELECT set_config('statement_timeout', $1, true)", [`${Math.max(1, Math.ceil(stop.deadlineAt - Date.now()))}ms`])
    }
    checkpoint()
    const result = await writeCatalog(q, run, fetched, regions, checkpoint)
    checkpoint()
    commitSent = true
    return result
  })
  try {
    return await untilAborted(writing, stop.signal)
  } catch (err) {
    if (stop.signal.aborted && commitSent) {
      // The deadline passed while COMMIT was on its way: wait (briefly) to learn whether it landed.
      try {
        return await withDbTimeout(writing, s.dbTimeoutMs)
      } catch (late) {
        const failure = stoppedError(run, 'committing the catalog', late, databaseDownReason(late) !== null)
        await record(run, 'failed', { error: failure.reason })
        s.log.error({ err: late, runId: id }, failure.message)
        throw failure
      }
    }
    // Not committed: the transaction rolls back (now, or at its next step once its query returns).
    const failure = stop.signal.aborted
      ? stoppedError(run, 'writing the catalog', err)
      : new RefreshFailedError(id, `writing the catalog failed: ${(err as Error).message}`, { cause: err })
    await record(run, 'failed', { error: failure.reason })
    s.log.error({ err, runId: id }, `catalog refresh failed; the catalog is unchanged: ${failure.reason}`)
    throw failure
  }
}

/** Inside the write transaction: take the refresh lock, plan against the catalog as it stands there
 * (its types, and which types each region and kind is priced for), replace it (the prices of types that
 * are gone, in the regions not refreshed, go with it) and record success, or say why not. `checkpoint` throws once the run is stopped, so the
 * transaction rolls back at its next step. */
async function writeCatalog(q: Queryable, { id, s }: Run, fetched: CatalogResult, regions: string[], checkpoint: () => void): Promise<Outcome> {
  const lock = await q.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [ADVISORY_LOCKS.refresh])
  if (!lock.rows[0]?.locked) return { ok: false, error: new RefreshInProgressError(id) }
  checkpoint()

  const instanceTypes = await readInstanceTypes(q)
  checkpoint()
  // Not the price rows: which types each region and kind has prices for is all the plan needs.
  const interner = Interner.holding(fetched.instanceTypes.map((t) => t.name))
  const prices = await readPricedTypes(q, interner)
  checkpoint()
  const storagePrices = await readStoragePrices(q)
  checkpoint()

  const plan = planCatalogChange(
    { instanceTypes, prices, storagePrices },
    { regions, instanceTypes: fetched.instanceTypes, prices: fetched.prices, ...(fetched.storagePrices ? { storagePrices: fetched.storagePrices } : {}), skipped: fetched.skipped },
    s.limits,
  )
  if (!plan.ok) return { ok: false, error: new RefreshRefusedError(id, plan.why) }

  const catalogVersion = await replaceCatalog(q, { ...plan.next, source: REFRESH_SOURCE, note: changeNote(id, regions, plan.diff) })
  checkpoint()
  // Recorded in the same transaction: a 'succeeded' row always points at a version that landed.
  await finishRun(q, id, 'succeeded', {
    instanceTypes: plan.diff.instanceTypes.total,
    prices: plan.diff.prices.total,
    skipped: fetched.skipped,
    catalogVersion,
    ...(s.wanted === ALL_REGIONS ? { regions } : {}),
  })
  return { ok: true, catalogVersion, diff: plan.diff }
}

function reportSuccess({ id, s }: Run, outcome: Extract<Outcome, { ok: true }>, regions: string[], notEnabled: string[]): RefreshReport {
  const report: RefreshReport = {
    runId: id,
    status: 'succeeded',
    catalogVersion: outcome.catalogVersion,
    regions,
    notEnabled,
    ...outcome.diff,
    durationMs: Math.max(0, s.clock().getTime() - s.started),
  }
  s.log.info(
    {
      runId: id,
      catalogVersion: report.catalogVersion,
      instanceTypes: {
        total: report.instanceTypes.total,
        added: report.instanceTypes.added,
        updated: report.instanceTypes.updated,
        removed: report.instanceTypes.removedNames,
      },
      prices: report.prices,
      storagePrices: report.storagePrices,
      notEnabled: report.notEnabled,
      skipped: report.skipped,
      durationMs: report.durationMs,
    },
    'catalog refreshed from AWS',
  )
  return report
}

/**
 * The most recent runs, newest first, after closing those abandoned by a process that is gone.
 * Throws DatabaseUnavailableError (503) when the database does not answer within `dbTimeoutMs`.
 */
export async function listRefreshRuns(db: Db, limit = 20, opts: { dbTimeoutMs?: number } = {}): Promise<RefreshRun[]> {
  const n = Number.isInteger(limit) && limit > 0 ? Math.min(limit, 1000) : 20
  const dbTimeoutMs = opts.dbTimeoutMs ?? DEFAULT_DB_TIMEOUT_MS
  try {
    await closeDeadRuns(db, { dbTimeoutMs })
    return await withDbTimeout(listRuns(db, n), dbTimeoutMs)
  } catch (err) {
    throw unavailable(db, err, 'the refresh runs cannot be listed') ?? err
  }
}
