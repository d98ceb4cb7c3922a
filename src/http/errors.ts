import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { STATUS_CODES } from 'node:http'
import { InputError, NotFoundError } from '../domain/types.js'

/**
 * The longest path parameter (an instance type's name, a chart's name) the router accepts: fastify's
 * `routerOptions.maxParamLength` (app.ts). A longer one is refused with 414, as fastify itself does.
 */
export const MAX_PARAM_LENGTH = 200

/**
 * Set on a raw request that fastify's router refused (its code, FST_ERR_BAD_URL or
 * FST_ERR_MAX_PARAM_LENGTH), once it is sent on to the not-found handler (see frameworkError).
 */
export const BAD_URL = Symbol('cni.badUrl')

/** The path a refused URL is routed under: no route has it, so the not-found handler answers it. */
const BAD_URL_PATH = '/.cni-advisor/refused-url'

type RefusedRaw = FastifyRequest['raw'] & { [BAD_URL]?: string; originalUrl?: string }

/** The contract's error body: `{ statusCode, error, message }`, and `field` when one field is at fault. */
export interface ErrorBody {
  statusCode: number
  error: string
  message: string
  field?: string
}

export function errorBody(statusCode: number, message: string, field?: string): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...(field ? { field } : {}) }
}

export const errorSchema = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    message: { type: 'string', description: 'Says which field, what was given and what is allowed' },
    field: { type: 'string' },
  },
  required: ['statusCode', 'error', 'message'],
} as const

/** Turns any error into the contract's shape; never a stack trace, never an internal message on a 5xx. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof InputError || err instanceof NotFoundError) return errorBody(err.statusCode, err.message, err.field)
  const e = err as FastifyError & { validation?: Array<{ instancePath?: string; params?: Record<string, unknown> }> }
  if (e && e.validation) {
    // Fastify's own schema checks (routes whose input is not one of our field tables) say e.g.
    // "body/name must be string": keep the message, name the field.
    const first = e.validation[0]
    const field = first?.instancePath
      ? first.instancePath.replace(/^\//, '').replace(/\//g, '.')
      : String(first?.params?.missingProperty ?? first?.params?.additionalProperty ?? e.validationContext ?? 'request')
    return errorBody(400, e.message, field)
  }
  const status = typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 600 ? e.statusCode : 500
  if (status >= 500) return errorBody(status, status === 503 ? (e.message ?? 'Service Unavailable') : 'Internal Server Error')
  return errorBody(status, e.message)
}

/**
 * fastify's `frameworkErrors` option (app.ts): what fastify calls when its router cannot take a URL in.
 * That happens in two cases. A path that is not valid percent-encoded UTF-8 (`/v1/instance-types/%ff%fe`)
 * is FST_ERR_BAD_URL, from find-my-way's onBadUrl. A path parameter over maxParamLength is
 * FST_ERR_MAX_PARAM_LENGTH, from onMaxParamLength. See node_modules/fastify/fastify.js (onBadUrl,
 * onMaxParamLength) and https://fastify.dev/docs/latest/Reference/Server/#frameworkerrors.
 *
 * fastify calls this outside the request lifecycle: no hook has run, and the request is not built for
 * trustProxy. Left alone, these URLs would skip the rate limit, the request id, the headers, CORS and
 * the metrics, and without this option fastify would answer in its own shape. So the request is
 * routed once more, under a path no route has: the not-found handler's hooks then give it the same
 * policy as any unknown path, and the handler answers in the error shape. The request keeps the id
 * it was first given.
 */
export function frameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const raw = request.raw as RefusedRaw
  if ((err.code === 'FST_ERR_BAD_URL' || err.code === 'FST_ERR_MAX_PARAM_LENGTH') && raw[BAD_URL] === undefined) {
    raw[BAD_URL] = err.code
    raw.originalUrl = raw.url
    raw.url = BAD_URL_PATH
    // genReqId (app.ts) keeps a sane x-request-id, so the second routing gives the same id.
    raw.headers['x-request-id'] = String(request.id)
    request.server.routing(raw, reply.raw)
    return
  }
  // Anything else (an async route constraint failing: this service has none) is answered here.
  const body = toErrorBody(err)
  void reply.code(body.statusCode).header('x-request-id', request.id).type('application/json; charset=utf-8').send(body)
}

/** A path as it may be quoted in a message: at most 100 characters. */
const quotePath = (url: string): string => {
  const path = url.split('?')[0]!
  return path.length > 100 ? `${path.slice(0, 100)}…` : path
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const body = toErrorBody(err)
    if (body.statusCode >= 500) request.log.error({ err }, 'request failed')
    else request.log.info({ statusCode: body.statusCode, field: body.field, reason: body.message }, 'request rejected')
    void reply.code(body.statusCode).type('application/json; charset=utf-8').send(body)
  })
  // Requests no route matched get the request policy (id, headers, URL cap, rate limit) from an onRequest
  // hook, as routes get theirs when they are registered (security.ts): counted before their body is read.
  // The not-found handler takes the hooks of the instance it is set on, so it is set in a scope of its
  // own that adds that hook. The scope is created after the root's hooks (CORS, metrics) and
  // inherits them (node_modules/fastify/lib/four-oh-four.js, _setNotFoundHandler). A request a route
  // hands on with reply.callNotFound() was counted by that route's onRequest already; this hook does
  // not run for it again.
  const policy = app.hasDecorator('requestPolicy') ? app.requestPolicy : null
  void app.register(async function notFound(scope) {
    if (policy) scope.addHook('onRequest', policy.unmatched)
    scope.setNotFoundHandler((request, reply) => {
      const raw = request.raw as RefusedRaw
      const refused = raw[BAD_URL]
      if (refused !== undefined) {
        const url = raw.originalUrl ?? ''
        const body =
          refused === 'FST_ERR_MAX_PARAM_LENGTH'
            ? errorBody(414, `a name in the path ${quotePath(url)} is longer than ${MAX_PARAM_LENGTH} characters, the most accepted`)
            : errorBody(400, `the path ${quotePath(url)} is not a valid URL: each % must begin a %XX escape, and the escapes must decode to UTF-8`)
        request.log.info({ statusCode: body.statusCode, reason: body.message }, 'request rejected')
        void reply.code(body.statusCode).send(body)
        return
      }
      const path = request.url.split('?')[0]!.slice(0, 200)
      void reply.code(404).send(errorBody(404, `Route ${request.method} ${path} not found; see /docs for the routes`))
    })
  })
}
