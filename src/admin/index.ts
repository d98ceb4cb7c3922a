// What the admin doors share (POST /v1/admin/refresh and the GraphQL refreshCatalog mutation):
// the bearer-token check, a refresh with the app's settings (its deadline, REFRESH_TIMEOUT_SECONDS)
// followed by loading the new version, how refresh errors are answered, and stopping refreshes in
// flight when the app closes. One place, so the two doors cannot drift apart again (the mutation once
// refreshed without reloading, and the next request still got the old version).
import type { FastifyBaseLogger } from 'fastify'
import { createHash, timingSafeEqual } from 'node:crypto'
import {
  DatabaseUnavailableError,
  listRefreshRuns,
  RefreshFailedError,
  RefreshInProgressError,
  RefreshRefusedError,
  RefreshStoppedError,
  RefreshTimeoutError,
  runRefresh,
  type RefreshReport,
  type RefreshRun,
} from '../catalog/refresh.js'
import type { AppContext } from '../http/context.js'
import { errorBody, type ErrorBody } from '../http/errors.js'

export type AdminAuth = { ok: true } | { ok: false; statusCode: 401 | 503; message: string }

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest()

/**
 * Checks `Authorization: Bearer <ADMIN_TOKEN>`. Both sides are hashed first so the comparison takes
 * the same time whatever the length or content of the token given. Shared with the GraphQL mutation.
 */
export function checkAdminAuth(adminToken: string | null, authorization: string | undefined): AdminAuth {
  if (!adminToken) return { ok: false, statusCode: 503, message: 'admin routes are disabled: set ADMIN_TOKEN' }
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '')
  if (!m) return { ok: false, statusCode: 401, message: 'admin route: send Authorization: Bearer <ADMIN_TOKEN>' }
  if (!timingSafeEqual(sha256(m[1]!), sha256(adminToken))) {
    return { ok: false, statusCode: 401, message: 'admin route: the bearer token is not the ADMIN_TOKEN' }
  }
  return { ok: true }
}

/** Aborted when the app closes (stopRefreshes), per app: refreshes in flight then end at once. */
const closing = new WeakMap<AppContext, AbortController>()
function closingSignal(ctx: AppContext): AbortSignal {
  let c = closing.get(ctx)
  if (!c) {
    c = new AbortController()
    closing.set(ctx, c)
  }
  return c.signal
}

/**
 * Stops the refreshes in flight (and any started later) of this app: each is recorded as failed and
 * answered 503 with `why`, instead of holding the shutdown until its deadline and then being killed
 * with its run left `running`. Called from a preClose hook (src/http/routes/admin.ts).
 */
export function stopRefreshes(ctx: AppContext, why: string): void {
  closingSignal(ctx) // makes sure there is a controller to abort
  closing.get(ctx)!.abort(why)
}

/** A refresh with the app's settings: default region AWS_REGION, the deadline REFRESH_TIMEOUT_SECONDS,
 * the injected fetch/clients and database timeout, the app clock. */
export function refreshWithContext(ctx: AppContext, regions: string[] | undefined, log?: FastifyBaseLogger): Promise<RefreshReport> {
  return runRefresh(ctx.db, regions ?? [ctx.config.awsRegion], {
    ...(ctx.refresh ?? {}),
    // A refresh of every region (regions ["all"]) asks EC2 DescribeRegions in AWS_REGION.
    awsOptions: { homeRegion: ctx.config.awsRegion, ...ctx.refresh?.awsOptions },
    timeoutMs: ctx.config.refreshTimeoutSeconds * 1000,
    signal: closingSignal(ctx),
    clock: ctx.clock,
    ...(log ? { log } : {}),
  })
}

/**
 * A refresh, then the new catalog version loaded into this replica before the answer goes out: the very
 * next request here answers from it (other replicas follow within seconds by LISTEN/NOTIFY or polling).
 */
export async function refreshAndReload(ctx: AppContext, regions: string[] | undefined, log?: FastifyBaseLogger): Promise<RefreshReport> {
  const report = await refreshWithContext(ctx, regions, log)
  await ctx.catalog.reloadIfChanged()
  return report
}

/** The recent refresh runs with the app's database timeout; DatabaseUnavailableError when it does not answer. */
export function refreshRunsWithContext(ctx: AppContext, limit: number): Promise<RefreshRun[]> {
  return listRefreshRuns(ctx.db, limit, { ...(ctx.refresh?.dbTimeoutMs !== undefined ? { dbTimeoutMs: ctx.refresh.dbTimeoutMs } : {}) })
}

/** The HTTP status and body for a refresh error; null for errors the global handler deals with.
 * RefreshFailedError carries its own status: 502 (AWS failed), 504 (RefreshTimeoutError: the deadline
 * REFRESH_TIMEOUT_SECONDS passed, or AWS did not answer in time), 503 (RefreshStoppedError: shutdown). */
export function refreshErrorBody(err: unknown): ErrorBody | null {
  if (err instanceof RefreshInProgressError) return errorBody(409, err.message)
  if (err instanceof RefreshRefusedError) return errorBody(422, err.message)
  if (err instanceof RefreshFailedError) return errorBody(err.statusCode, err.message)
  if (err instanceof DatabaseUnavailableError) return errorBody(503, err.message)
  return null
}

/** A GraphQL error code for a refresh error (the mutation's `extensions.code`); null as for refreshErrorBody.
 * By class, not status: a 503 is the database away or the service shutting down. */
export function refreshErrorCode(err: unknown): string | null {
  if (err instanceof RefreshInProgressError) return 'REFRESH_IN_PROGRESS'
  if (err instanceof RefreshRefusedError) return 'REFRESH_REFUSED'
  if (err instanceof RefreshTimeoutError) return 'REFRESH_TIMED_OUT'
  if (err instanceof RefreshStoppedError) return 'SHUTTING_DOWN'
  if (err instanceof RefreshFailedError) return 'AWS_UNAVAILABLE'
  if (err instanceof DatabaseUnavailableError) return 'DATABASE_UNAVAILABLE'
  return null
}
