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
// Used by the CLI (scripts/refresh.ts), POST /v1/admin/refresh and the GraphQL refreshCatalog mutation.

import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { ADVISORY_LOCKS, type Db, type Queryable } from '../db/db.js'
import { InputError, type InstanceType, type Price } from '../domain/types.js'
import { fetchCatalog, pricingEndpointRegion, type AwsSourceOptions, type SkipCounts } from './aws-source.js'
import { readInstanceTypes, readPrices, replaceCatalog } from './repository.js'

export const REFRESH_SOURCE = 'aws'
export const DEFAULT_MAX_DROP_SHARE = 0.1
export const MAX_REGIONS = 20
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
/** A running run writes heartbeat_at this often (one UPDATE by primary key)... */
export const RUN_HEARTBEAT_MS = 5_000
/** ...and one whose heartbeat is older than this (three missed beats) has nobody left to finish it. */
export const RUN_STALE_AFTER_MS = 4 * RUN_HEARTBEAT_MS

export interface RefreshReport {
  runId: number
  status: 'succeeded'
  catalogVersion: number
  regions: string[]
  instanceTypes: {
    total: number
    added: number
    removed: number
    updated: number
    /** New to the catalog: AWS publishes no branch-ENI limits, so these got trunking false / branchEnis 0. */
    addedNames: string[]
    /** No longer returned by AWS and dropped (within the gate). */
    removedNames: string[]
  }
  prices: { total: number; byRegion: Record<string, number> }
  /** reason → count of AWS records that could not be used. */
  skipped: SkipCounts
  durationMs: number
}

export type RefreshRunStatus = 'running' | 'succeeded' | 'failed' | 'refused'

export interface RefreshRun {
  id: number
  startedAt: string
  finishedAt: string | null
  regions: string[]
  status: RefreshRunStatus
  instanceTypes: number | null
  prices: number | null
  skipped: SkipCounts | null
  error: string | null
  catalogVersion: number | null
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

/** Checks and de-duplicates the regions; throws an InputError naming `regions`. */
export function validateRegions(regions: unknown): string[] {
  if (!Array.isArray(regions) || regions.length === 0) {
    throw new InputError('regions', 'regions must be a non-empty list of region codes like ["us-east-1"]')
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

function share(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(1)} %`
}

function percent(s: number): string {
  return `${Math.round(s * 1000) / 10} %`
}

const COMPARED: (keyof InstanceType)[] = [
  'family',
  'vcpu',
  'memoryMiB',
  'arch',
  'maxEnis',
  'ipv4PerEni',
  'networkCards',
  'maxEnisAllCards',
  'ipv6Supported',
  'hypervisor',
  'bareMetal',
  'encryptionInTransit',
  'networkPerformance',
  'networkBandwidthMbps',
]

async function finishRun(
  db: Queryable,
  runId: number,
  status: Exclude<RefreshRunStatus, 'running'>,
  fields: { error?: string; instanceTypes?: number; prices?: number; skipped?: SkipCounts; catalogVersion?: number },
): Promise<void> {
  // A failure or refusal only finishes a run still running: one whose write committed after its deadline
  // (it records itself 'succeeded' in that transaction) keeps saying so. 'succeeded' always lands (in
  // the write transaction): its version did, even if the run was taken for abandoned meanwhile.
  await db.query(
    `UPDATE refresh_runs SET status = $2, finished_at = now(), error = $3, instance_types = $4, prices = $5,
       skipped = $6::jsonb, catalog_version = $7 WHERE id = $1 AND (status = 'running' OR $2 = 'succeeded')`,
    [
      runId,
      status,
      fields.error ?? null,
      fields.instanceTypes ?? null,
      fields.prices ?? null,
      fields.skipped ? JSON.stringify(fields.skipped) : null,
      fields.catalogVersion ?? null,
    ],
  )
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
  const { rows } = await withDbTimeout(
    db.query<{ id: string | number }>(
      `UPDATE refresh_runs SET status = 'failed', finished_at = now(),
         error = CASE WHEN owner IS NOT DISTINCT FROM $2
           THEN 'abandoned: it stopped without recording its end (the database did not answer then); nothing was written'
           ELSE 'abandoned: its process (' || coalesce(owner, 'unknown') || ') is gone; nothing was written' END
       WHERE status = 'running' AND (
         coalesce(heartbeat_at, started_at) < now() - $1::double precision * interval '1 millisecond'
         OR ($3::boolean AND (owner IS DISTINCT FROM $2 OR NOT (id = ANY ($4::bigint[]))))
       )
       RETURNING id`,
      [RUN_STALE_AFTER_MS, ownerOf(db), db.kind === 'pglite', [...liveRunsOf(db)]],
    ),
    opts.dbTimeoutMs ?? DEFAULT_DB_TIMEOUT_MS,
  )
  return rows.map((r) => Number(r.id))
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

type Outcome = { ok: true; report: RefreshReport } | { ok: false; error: RefreshInProgressError | RefreshRefusedError }

/** Why a run was stopped early, as its `stop` signal was aborted. */
type StopCause = { kind: 'deadline'; timeoutMs: number } | { kind: 'stopped'; why: string }

function stopWhy(reason: unknown): string {
  if (reason instanceof Error) return reason.message
  return typeof reason === 'string' && reason !== '' ? reason : 'the refresh was cancelled'
}

/**
 * One refresh run. Resolves with the report when a new catalog version was committed; otherwise throws
 * InputError (bad regions, no run recorded), DatabaseUnavailableError (no run recorded),
 * RefreshInProgressError, RefreshRefusedError or RefreshFailedError (RefreshTimeoutError past the
 * deadline, RefreshStoppedError when `signal` stopped it), each after recording the run, with the
 * catalog untouched.
 */
export async function runRefresh(db: Db, regions: string[], opts: RefreshOptions = {}): Promise<RefreshReport> {
  const wanted = validateRegions(regions)
  const maxDrop = opts.maxDropShare ?? DEFAULT_MAX_DROP_SHARE
  const maxPriceDrop = opts.maxPriceDropShare ?? maxDrop
  for (const [name, v] of [
    ['maxDropShare', maxDrop],
    ['maxPriceDropShare', maxPriceDrop],
  ] as const) {
    if (!Number.isFinite(v) || v < 0 || v > 1) throw new InputError(name, `${name} must be a share from 0 to 1; got ${v}`)
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_REFRESH_TIMEOUT_SECONDS * 1000
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new InputError('timeoutMs', `timeoutMs must be a positive number of milliseconds; got ${timeoutMs}`)
  const dbTimeoutMs = opts.dbTimeoutMs ?? DEFAULT_DB_TIMEOUT_MS
  const clock = opts.clock ?? (() => new Date())
  const log = opts.log ?? silentLog
  const fetch = opts.fetch ?? fetchCatalog
  const started = clock().getTime()

  // The deadline runs on the real clock (opts.clock may be a fixed test clock), from the start.
  const deadlineAt = Date.now() + timeoutMs
  const stop = new AbortController()
  let stopCause: StopCause | null = null
  const stopWith = (cause: StopCause) => {
    if (stop.signal.aborted) return
    stopCause = cause
    stop.abort(
      new Error(cause.kind === 'deadline' ? `the refresh deadline (REFRESH_TIMEOUT_SECONDS, ${seconds(timeoutMs)}) passed` : cause.why),
    )
  }
  const deadline = setTimeout(() => stopWith({ kind: 'deadline', timeoutMs }), timeoutMs)
  const onOuterAbort = () => stopWith({ kind: 'stopped', why: stopWhy(opts.signal?.reason) })
  if (opts.signal?.aborted) onOuterAbort()
  else opts.signal?.addEventListener('abort', onOuterAbort, { once: true })
  const live = liveRunsOf(db)
  let heartbeat: NodeJS.Timeout | undefined
  let runId: number | undefined
  try {
    try {
      // Runs left 'running' by a process that died (SIGKILL, OOM, eviction) are closed first.
      const closed = await closeDeadRuns(db, { dbTimeoutMs })
      if (closed.length > 0) log.warn({ runIds: closed }, 'closed refresh runs abandoned by a process that is gone')
      // The id is taken, and known to be live here, before its row exists: a concurrent closeDeadRuns
      // can never see this run's row without seeing it among the live ones.
      const { rows: ids } = await withDbTimeout(
        db.query<{ id: string | number }>("SELECT nextval(pg_get_serial_sequence('refresh_runs', 'id')) AS id"),
        dbTimeoutMs,
      )
      runId = Number(ids[0]!.id)
      live.add(runId)
      await withDbTimeout(
        db.query(
          "INSERT INTO refresh_runs (id, regions, status, owner, heartbeat_at) VALUES ($1, $2::text[], 'running', $3, now())",
          [runId, wanted, ownerOf(db)],
        ),
        dbTimeoutMs,
      )
    } catch (err) {
      const down = unavailable(db, err, 'nothing was refreshed')
      if (down) {
        log.error({ err, runId }, 'the database does not answer; no refresh run could be recorded')
        throw down
      }
      throw err
    }
    const id = runId
    return await runRecorded(db, id, wanted, {
      opts,
      timeoutMs,
      maxDrop,
      maxPriceDrop,
      dbTimeoutMs,
      clock,
      log,
      fetch,
      started,
      deadlineAt,
      stop: stop.signal,
      stopCause: () => stopCause,
      startHeartbeat: () => {
        heartbeat = setInterval(() => {
          withDbTimeout(db.query("UPDATE refresh_runs SET heartbeat_at = now() WHERE id = $1 AND status = 'running'", [id]), dbTimeoutMs).catch(
            (err: unknown) => log.warn({ err, runId: id }, 'could not write the refresh run heartbeat'),
          )
        }, opts.heartbeatMs ?? RUN_HEARTBEAT_MS)
        heartbeat.unref()
      },
    })
  } finally {
    clearTimeout(deadline)
    clearInterval(heartbeat)
    opts.signal?.removeEventListener('abort', onOuterAbort)
    if (runId !== undefined) live.delete(runId)
  }
}

interface RunContext {
  opts: RefreshOptions
  timeoutMs: number
  maxDrop: number
  maxPriceDrop: number
  dbTimeoutMs: number
  clock: () => Date
  log: RefreshLog
  fetch: typeof fetchCatalog
  started: number
  deadlineAt: number
  stop: AbortSignal
  stopCause: () => StopCause | null
  startHeartbeat: () => void
}

/** The run once its row is recorded: refused at once while this process runs another, else fetch, gate, write. */
async function runRecorded(db: Db, runId: number, wanted: string[], c: RunContext): Promise<RefreshReport> {
  const { log, stop } = c
  const record = async (status: Exclude<RefreshRunStatus, 'running'>, fields: Parameters<typeof finishRun>[3]) => {
    try {
      await withDbTimeout(finishRun(db, runId, status, fields), c.dbTimeoutMs)
    } catch (err) {
      log.error({ err, runId, status }, 'could not record the end of the refresh run')
    }
  }
  /** The error for a run stopped while `phase`; `err` says where, when it is the AWS source's own. */
  const stoppedError = (phase: string, err: unknown, catalogMayHaveChanged = false): RefreshFailedError => {
    const cause = c.stopCause()
    const where = err instanceof Error && err.name === 'AbortError' && err.message ? `: ${err.message}` : ''
    if (cause?.kind === 'stopped') {
      return new RefreshStoppedError(runId, `stopped while ${phase} (${cause.why})${where}`, { cause: err, catalogMayHaveChanged })
    }
    return new RefreshTimeoutError(
      runId,
      `timed out after ${seconds(cause?.kind === 'deadline' ? cause.timeoutMs : 0)}, the deadline set by REFRESH_TIMEOUT_SECONDS, while ${phase}${where}; the run was stopped`,
      { cause: err, catalogMayHaveChanged },
    )
  }

  if (inFlight.has(db)) {
    const err = new RefreshInProgressError(runId)
    await record('refused', { error: err.message })
    log.warn({ runId, regions: wanted }, err.message)
    throw err
  }
  inFlight.add(db)
  c.startHeartbeat()
  try {
    log.info({ runId, regions: wanted }, 'catalog refresh started')

    let fetched: Awaited<ReturnType<typeof fetchCatalog>>
    try {
      const awsOptions: AwsSourceOptions = { log, now: c.clock, ...c.opts.awsOptions, abortSignal: stop }
      // Raced against the signal too: an injected fetch (or a stuck credential lookup) that does not
      // honour it still cannot hold the run past its deadline.
      fetched = await untilAborted(c.fetch(wanted, awsOptions), stop, 250)
    } catch (err) {
      let failure: RefreshFailedError
      if (stop.aborted) {
        failure = stoppedError('fetching from AWS', err)
      } else if (isAwsTimeout(err)) {
        failure = new RefreshTimeoutError(
          runId,
          `AWS did not answer in time: ${(err as Error).message} (each AWS request has its own timeout; ` +
            `the whole run may take REFRESH_TIMEOUT_SECONDS, ${seconds(c.timeoutMs)})`,
          { cause: err },
        )
      } else {
        failure = new RefreshFailedError(runId, `fetching from AWS failed: ${(err as Error).message}`, { cause: err })
      }
      await record('failed', { error: failure.reason })
      log.error({ err, runId }, `catalog refresh failed; the catalog is unchanged: ${failure.reason}`)
      throw failure
    }

    if (stop.aborted) {
      // The fetch finished in the grace after the deadline: too late, write nothing.
      const failure = stoppedError('fetching from AWS', null)
      await record('failed', { error: failure.reason })
      throw failure
    }

    let outcome: Outcome
    // Set just before the transaction's COMMIT is sent: from then on the write may land whatever happens.
    let commitSent = false
    const checkpoint = () => {
      if (stop.aborted) throw stop.reason
    }
    const writing = db.tx(async (q): Promise<Outcome> => {
      if (db.kind === 'postgres') {
        // The server gives up a statement that would outlast the deadline (say, one waiting for a lock),
        // so the transaction rolls back there too. PGlite runs no statement timeout (single-user WASM).
        await q.query("SELECT set_config('statement_timeout', $1, true)", [`${Math.max(1, Math.ceil(c.deadlineAt - Date.now()))}ms`])
      }
      checkpoint()
      const result = await writeCatalog(q, runId, wanted, fetched, c, checkpoint)
      checkpoint()
      commitSent = true
      return result
    })
    try {
      outcome = await untilAborted(writing, stop)
    } catch (err) {
      if (stop.aborted && commitSent) {
        // The deadline passed while COMMIT was on its way: wait (briefly) to learn whether it landed.
        try {
          outcome = await withDbTimeout(writing, c.dbTimeoutMs)
        } catch (late) {
          const failure = stoppedError('committing the catalog', late, databaseDownReason(late) !== null)
          await record('failed', { error: failure.reason })
          log.error({ err: late, runId }, failure.message)
          throw failure
        }
      } else {
        // Not committed: the transaction rolls back (now, or at its next step once its query returns).
        const failure = stop.aborted
          ? stoppedError('writing the catalog', err)
          : new RefreshFailedError(runId, `writing the catalog failed: ${(err as Error).message}`, { cause: err })
        await record('failed', { error: failure.reason })
        log.error({ err, runId }, `catalog refresh failed; the catalog is unchanged: ${failure.reason}`)
        throw failure
      }
    }

    if (!outcome.ok) {
      await record('refused', {
        error: outcome.error.message,
        instanceTypes: fetched.instanceTypes.length,
        prices: fetched.prices.length,
        skipped: fetched.skipped,
      })
      log.warn({ runId, regions: wanted }, outcome.error.message)
      throw outcome.error
    }
    const report = { ...outcome.report, durationMs: Math.max(0, c.clock().getTime() - c.started) }
    log.info(
      {
        runId,
        catalogVersion: report.catalogVersion,
        instanceTypes: {
          total: report.instanceTypes.total,
          added: report.instanceTypes.added,
          updated: report.instanceTypes.updated,
          removed: report.instanceTypes.removedNames,
        },
        prices: report.prices,
        skipped: report.skipped,
        durationMs: report.durationMs,
      },
      'catalog refreshed from AWS',
    )
    return report
  } finally {
    inFlight.delete(db)
  }
}

/** Inside the write transaction: merge, gate, replace the catalog and record success, or say why not.
 * `checkpoint` throws once the run is stopped, so the transaction rolls back at its next step. */
async function writeCatalog(
  q: Queryable,
  runId: number,
  wanted: string[],
  fetched: Awaited<ReturnType<typeof fetchCatalog>>,
  c: Pick<RunContext, 'maxDrop' | 'maxPriceDrop'>,
  checkpoint: () => void,
): Promise<Outcome> {
  const { maxDrop, maxPriceDrop } = c
  const lock = await q.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [ADVISORY_LOCKS.refresh])
  if (!lock.rows[0]?.locked) return { ok: false, error: new RefreshInProgressError(runId) }
  checkpoint()

  const currentTypes = new Map((await readInstanceTypes(q)).map((t) => [t.name, t]))
  checkpoint()
  const currentPrices = await readPrices(q)
  checkpoint()

  // Merge: AWS's limits and specs; the branch-ENI fields (in no AWS API) from the current catalog.
  const addedNames: string[] = []
  let updated = 0
  const nextTypes = fetched.instanceTypes.map((t) => {
    const known = currentTypes.get(t.name)
    if (!known) addedNames.push(t.name)
    const merged: InstanceType = { ...t, trunking: known?.trunking ?? false, branchEnis: known?.branchEnis ?? 0 }
    if (known && COMPARED.some((k) => known[k] !== merged[k])) updated++
    return { ...merged, source: REFRESH_SOURCE }
  })
  const fetchedNames = new Set(nextTypes.map((t) => t.name))
  const removedNames = [...currentTypes.keys()].filter((n) => !fetchedNames.has(n)).sort()

  // Sanity gates: a broken, throttled or truncated API answer must not empty the catalog.
  const reasons: string[] = []
  if (nextTypes.length === 0) reasons.push('AWS returned no instance types')
  if (currentTypes.size > 0 && removedNames.length / currentTypes.size > maxDrop) {
    reasons.push(
      `${removedNames.length} of ${currentTypes.size} instance types (${share(removedNames.length, currentTypes.size)}) ` +
        `would disappear, more than the ${percent(maxDrop)} allowed`,
    )
  }
  const byRegion: Record<string, number> = {}
  for (const region of wanted) {
    const fresh = new Set(fetched.prices.filter((p) => p.region === region).map((p) => p.instanceType))
    byRegion[region] = fresh.size
    const known = currentPrices.filter((p) => p.region === region)
    const dropped = known.filter((p) => !fresh.has(p.instanceType)).length
    if (known.length > 0 && dropped / known.length > maxPriceDrop) {
      reasons.push(
        `${dropped} of ${known.length} prices in ${region} (${share(dropped, known.length)}) ` +
          `would disappear, more than the ${percent(maxPriceDrop)} allowed`,
      )
    }
  }
  if (reasons.length > 0) return { ok: false, error: new RefreshRefusedError(runId, reasons) }

  const prices: Price[] = fetched.prices.filter((p) => wanted.includes(p.region))
  const noteParts = [`refresh run ${runId} from AWS: ${wanted.join(', ')}`]
  if (addedNames.length) noteParts.push(`${addedNames.length} new type(s) without branch-ENI limits`)
  if (removedNames.length) noteParts.push(`removed ${removedNames.length}: ${removedNames.slice(0, 20).join(', ')}${removedNames.length > 20 ? ', ...' : ''}`)
  const catalogVersion = await replaceCatalog(q, {
    instanceTypes: nextTypes,
    prices: { regions: wanted, rows: prices },
    source: REFRESH_SOURCE,
    note: noteParts.join('; '),
  })
  checkpoint()
  // Recorded in the same transaction: a 'succeeded' row always points at a version that landed.
  await finishRun(q, runId, 'succeeded', {
    instanceTypes: nextTypes.length,
    prices: prices.length,
    skipped: fetched.skipped,
    catalogVersion,
  })
  return {
    ok: true,
    report: {
      runId,
      status: 'succeeded',
      catalogVersion,
      regions: wanted,
      instanceTypes: {
        total: nextTypes.length,
        added: addedNames.length,
        removed: removedNames.length,
        updated,
        addedNames: addedNames.sort(),
        removedNames,
      },
      prices: { total: prices.length, byRegion },
      skipped: fetched.skipped,
      durationMs: 0,
    },
  }
}

/**
 * The most recent runs, newest first, after closing those abandoned by a process that is gone.
 * Throws DatabaseUnavailableError (503) when the database does not answer within `dbTimeoutMs`.
 */
export async function listRefreshRuns(db: Db, limit = 20, opts: { dbTimeoutMs?: number } = {}): Promise<RefreshRun[]> {
  const n = Number.isInteger(limit) && limit > 0 ? Math.min(limit, 1000) : 20
  const dbTimeoutMs = opts.dbTimeoutMs ?? DEFAULT_DB_TIMEOUT_MS
  type Row = {
    id: string
    started_at: Date
    finished_at: Date | null
    regions: string[]
    status: RefreshRunStatus
    instance_types: number | null
    prices: number | null
    skipped: SkipCounts | string | null
    error: string | null
    catalog_version: string | null
  }
  let rows: Row[]
  try {
    await closeDeadRuns(db, { dbTimeoutMs })
    ;({ rows } = await withDbTimeout(
      db.query<Row>(
        `SELECT id, started_at, finished_at, regions, status, instance_types, prices, skipped, error, catalog_version
         FROM refresh_runs ORDER BY id DESC LIMIT $1`,
        [n],
      ),
      dbTimeoutMs,
    ))
  } catch (err) {
    throw unavailable(db, err, 'the refresh runs cannot be listed') ?? err
  }
  return rows.map((r) => ({
    id: Number(r.id),
    startedAt: new Date(r.started_at).toISOString(),
    finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
    regions: r.regions,
    status: r.status,
    instanceTypes: r.instance_types,
    prices: r.prices,
    skipped: typeof r.skipped === 'string' ? (JSON.parse(r.skipped) as SkipCounts) : r.skipped,
    error: r.error,
    catalogVersion: r.catalog_version === null ? null : Number(r.catalog_version),
  }))
}
