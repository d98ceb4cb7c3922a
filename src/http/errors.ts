import type { FastifyError, FastifyInstance } from 'fastify'
import { STATUS_CODES } from 'node:http'
import { InputError, NotFoundError } from '../domain/types.js'

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

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const body = toErrorBody(err)
    if (body.statusCode >= 500) request.log.error({ err }, 'request failed')
    else request.log.info({ statusCode: body.statusCode, field: body.field, reason: body.message }, 'request rejected')
    void reply.code(body.statusCode).type('application/json; charset=utf-8').send(body)
  })
  // Requests no route matched get the request policy (id, headers, URL cap, rate limit) here, since
  // routes get theirs when they are registered (security.ts).
  const preHandler = app.hasDecorator('requestPolicy') ? app.requestPolicy.unmatched : undefined
  app.setNotFoundHandler({ preHandler }, (request, reply) => {
    const path = request.url.split('?')[0]!.slice(0, 200)
    void reply.code(404).send(errorBody(404, `Route ${request.method} ${path} not found; see /docs for the routes`))
  })
}
