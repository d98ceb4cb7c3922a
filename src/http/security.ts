// What every request passes through: security headers, CORS (off unless configured), a rate limit
// per client, and a cap on URL length. Registered with fastify-plugin so it covers every route.
import cors from '@fastify/cors'
import helmet from 'helmet'
import type { IncomingMessage, ServerResponse } from 'node:http'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { errorBody } from './errors.js'

/** Longer URLs get 414 (Node's own header limit, 16 KiB, would answer 431 without a JSON body). */
export const MAX_URL_LENGTH = 8192

/**
 * Slack posts from Slack's shared addresses, so the Slack route counts requests per workspace
 * (team_id, known once the form is parsed: the limiter runs as a preHandler). Everything else counts
 * per client address (behind a proxy, set trustProxy so this is the caller, not the proxy).
 */
export function slackRateLimitKey(request: FastifyRequest): string {
  const body = request.body as { team_id?: unknown } | undefined
  return body && typeof body.team_id === 'string' ? `slack:${body.team_id.slice(0, 64)}` : `ip:${request.ip}`
}

export const API_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
})

const API_PREFIXES = ['/v1/', '/graphql', '/slack/', '/healthz', '/readyz', '/metrics']
const isApi = (url: string): boolean => API_PREFIXES.some((p) => url.startsWith(p)) && !url.startsWith('/graphiql')

/** The headers helmet sets, captured once by running it against a recording response. */
export function securityHeaders(corsOrigins: string[]): Record<string, string> {
  const middleware = helmet({
    // The pages (/, /docs, /graphiql) load only their own scripts and styles from this service;
    // Swagger UI and GraphiQL set inline styles, and the charts are images from the same origin.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        frameAncestors: corsOrigins.length ? ["'self'", ...corsOrigins.filter((o) => o !== '*')] : ["'self'"],
      },
    },
    // The page may be embedded by the portal (frame-ancestors above decides where).
    frameguard: false,
    crossOriginEmbedderPolicy: false,
  })
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()]
    },
  }
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err
  })
  return headers
}

async function security(app: FastifyInstance): Promise<void> {
  const { config } = app.ctx

  // helmet decides the security headers of the pages (/, /docs, /graphiql); they are the same for
  // every response, so they are worked out once and set here (rebuilding helmet per request cost ~8 %
  // of a request). Answers of the API are data, not documents: they get the headers that matter for
  // data (no sniffing, nothing may render or frame them, no referrer), which also keeps a small
  // answer's headers small. One hook does all of it, and names the request in x-request-id.
  const pageHeaders = securityHeaders(config.corsOrigins)
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    reply.headers(isApi(request.url) ? API_HEADERS : pageHeaders)
    if (request.url.length > MAX_URL_LENGTH) {
      void reply.code(414).send(errorBody(414, `the URL is ${request.url.length} characters long; at most ${MAX_URL_LENGTH} are accepted (use POST with a JSON body for long inputs)`))
      return
    }
    done()
  })

  if (config.corsOrigins.length) {
    await app.register(cors, {
      origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'authorization', 'x-request-id'],
      exposedHeaders: ['x-request-id', 'retry-after'],
      maxAge: 600,
    })
  }

  if (config.rateLimitMax > 0) {
    await app.register(rateLimit, {
      global: true,
      max: config.rateLimitMax,
      timeWindow: config.rateLimitWindowSeconds * 1000,
      hook: 'preHandler', // after the body is parsed, so Slack requests can count per workspace
      // x-ratelimit-* on every answer cost more than they help (spreadsheets and Slack ignore them);
      // a refused request still says when to come back (Retry-After) and what the limit is.
      addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
      // Probes are exempt (their routes say rateLimit: false): a throttled probe takes a healthy pod out.
      errorResponseBuilder: (_request, context) => {
        const err = errorBody(429, `rate limit exceeded: at most ${context.max} requests per ${context.after} from one client; retry in ${Math.ceil(context.ttl / 1000)} s`)
        return Object.assign(new Error(err.message), err)
      },
    })
  }
}

export const securityPlugin = fp(security, { name: 'cni-security', fastify: '5.x' })
