// What the admin doors share (POST /v1/admin/refresh and the GraphQL refreshCatalog mutation):
// the bearer-token check, a refresh with the app's settings, and how refresh errors are answered.
import type { FastifyBaseLogger } from 'fastify'
import { createHash, timingSafeEqual } from 'node:crypto'
import {
  DatabaseUnavailableError,
  RefreshFailedError,
  RefreshInProgressError,
  RefreshRefusedError,
  runRefresh,
  type RefreshReport,
} from '../catalog/refresh.js'
import type { AppContext } from './context.js'
import { errorBody, type ErrorBody } from './errors.js'

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

/** A refresh with the app's settings: default region AWS_REGION, the injected fetch/clients, the app clock. */
export function refreshWithContext(ctx: AppContext, regions: string[] | undefined, log?: FastifyBaseLogger): Promise<RefreshReport> {
  return runRefresh(ctx.db, regions ?? [ctx.config.awsRegion], {
    ...(ctx.refresh ?? {}),
    clock: ctx.clock,
    ...(log ? { log } : {}),
  })
}

/** The HTTP status and body for a refresh error; null for errors the global handler deals with. */
export function refreshErrorBody(err: unknown): ErrorBody | null {
  if (err instanceof RefreshInProgressError) return errorBody(409, err.message)
  if (err instanceof RefreshRefusedError) return errorBody(422, err.message)
  if (err instanceof RefreshFailedError) return errorBody(502, err.message)
  if (err instanceof DatabaseUnavailableError) return errorBody(503, err.message)
  return null
}
