// A refresh run: pulls network limits and on-demand prices from AWS and replaces the catalog with them,
// whole or not at all. Every run leaves a row in refresh_runs (written before the first AWS call, so a
// crash leaves evidence), and sanity gates refuse a result that would quietly empty the catalog.
//
// Used by the CLI (scripts/refresh.ts), POST /v1/admin/refresh and the GraphQL refreshCatalog mutation.

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
}

export interface RefreshOptions extends RefreshDeps {
  /** Refuse when more than this share (0-1) of the current instance types would disappear. Default 0.1. */
  maxDropShare?: number
  /** The same for the current prices of each refreshed region. Default: maxDropShare. */
  maxPriceDropShare?: number
  clock?: () => Date
  log?: RefreshLog
}

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

/** AWS (or the database) failed during the run: nothing was written. HTTP 502. */
export class RefreshFailedError extends Error {
  readonly statusCode = 502
  constructor(
    readonly runId: number,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`refresh run ${runId} failed, the catalog is unchanged: ${reason}`, options)
    this.name = 'RefreshFailedError'
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
  await db.query(
    `UPDATE refresh_runs SET status = $2, finished_at = now(), error = $3, instance_types = $4, prices = $5,
       skipped = $6::jsonb, catalog_version = $7 WHERE id = $1`,
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

/** A run still 'running' after this long was abandoned by a process that died. */
export const ABANDONED_AFTER_MINUTES = 60

/** The database is away: no run could even be recorded. Answered as 503. */
export class DatabaseUnavailableError extends Error {
  readonly statusCode = 503
  constructor(message: string) {
    super(message)
    this.name = 'DatabaseUnavailableError'
  }
}

/** Refreshes in flight in this process, per database: a second one is refused at once, before it calls AWS. */
const inFlight = new WeakSet<Db>()

/**
 * One refresh run. Resolves with the report when a new catalog version was committed; otherwise throws
 * InputError (bad regions, no run recorded), RefreshInProgressError, RefreshRefusedError or
 * RefreshFailedError, each after recording the run, with the catalog untouched.
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
  const clock = opts.clock ?? (() => new Date())
  const log = opts.log ?? silentLog
  const fetch = opts.fetch ?? fetchCatalog
  const started = clock().getTime()

  let runId: number
  try {
    // A run left 'running' by a process that died (SIGKILL, OOM, eviction) is closed here: no refresh
    // takes anywhere near an hour, so one that old has nobody left to finish it.
    await db.query(
      `UPDATE refresh_runs SET status = 'failed', finished_at = now(),
         error = 'abandoned: the process running it ended before it finished'
       WHERE status = 'running' AND started_at < now() - interval '${ABANDONED_AFTER_MINUTES} minutes'`,
    )
    const { rows } = await db.query<{ id: string }>(
      "INSERT INTO refresh_runs (regions, status) VALUES ($1::text[], 'running') RETURNING id",
      [wanted],
    )
    runId = Number(rows[0]!.id)
  } catch (err) {
    throw new DatabaseUnavailableError(`the database does not answer (${(err as Error).message}); nothing was refreshed`)
  }
  const record = async (status: Exclude<RefreshRunStatus, 'running'>, fields: Parameters<typeof finishRun>[3]) => {
    try {
      await finishRun(db, runId, status, fields)
    } catch (err) {
      log.error({ err, runId, status }, 'could not record the end of the refresh run')
    }
  }

  if (inFlight.has(db)) {
    const err = new RefreshInProgressError(runId)
    await record('refused', { error: err.message })
    log.warn({ runId, regions: wanted }, err.message)
    throw err
  }
  inFlight.add(db)
  try {
    log.info({ runId, regions: wanted }, 'catalog refresh started')

    let fetched: Awaited<ReturnType<typeof fetchCatalog>>
    try {
      const awsOptions: AwsSourceOptions = { log, now: clock, ...opts.awsOptions }
      fetched = await fetch(wanted, awsOptions)
    } catch (err) {
      const reason = `fetching from AWS failed: ${(err as Error).message}`
      await record('failed', { error: reason })
      log.error({ err, runId }, 'catalog refresh failed; the catalog is unchanged')
      throw new RefreshFailedError(runId, reason, { cause: err })
    }

    type Outcome =
      | { ok: true; report: RefreshReport }
      | { ok: false; error: RefreshInProgressError | RefreshRefusedError }
    let outcome: Outcome
    try {
      outcome = await db.tx(async (q): Promise<Outcome> => {
        const lock = await q.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [ADVISORY_LOCKS.refresh])
        if (!lock.rows[0]?.locked) return { ok: false, error: new RefreshInProgressError(runId) }

        const currentTypes = new Map((await readInstanceTypes(q)).map((t) => [t.name, t]))
        const currentPrices = await readPrices(q)

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
      })
    } catch (err) {
      const reason = `writing the catalog failed: ${(err as Error).message}`
      await record('failed', { error: reason })
      log.error({ err, runId }, 'catalog refresh failed; the catalog is unchanged')
      throw new RefreshFailedError(runId, reason, { cause: err })
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
    const report = { ...outcome.report, durationMs: Math.max(0, clock().getTime() - started) }
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

/** The most recent runs, newest first. */
export async function listRefreshRuns(db: Queryable, limit = 20): Promise<RefreshRun[]> {
  const n = Number.isInteger(limit) && limit > 0 ? Math.min(limit, 1000) : 20
  const { rows } = await db.query<{
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
  }>(
    `SELECT id, started_at, finished_at, regions, status, instance_types, prices, skipped, error, catalog_version
     FROM refresh_runs ORDER BY id DESC LIMIT $1`,
    [n],
  )
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
