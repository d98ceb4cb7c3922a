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
 * Who a request counts against. Slack posts from Slack's shared addresses, so Slack requests count
 * per workspace (team_id, known once the form is parsed); everything else per client address
 * (behind a proxy, set trustProxy so this is the caller, not the proxy).
 */
function clientKey(request: FastifyRequest): string {
  const body = request.body as { team_id?: unknown } | undefined
  if (request.url.startsWith('/slack/') && body && typeof body.team_id === 'string') return `slack:${body.team_id.slice(0, 64)}`
  return `ip:${request.ip}`
}

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

  app.addHook('onRequest', (request, reply, done) => {
    if (request.url.length > MAX_URL_LENGTH) {
      void reply.code(414).send(errorBody(414, `the URL is ${request.url.length} characters long; at most ${MAX_URL_LENGTH} are accepted (use POST with a JSON body for long inputs)`))
      return
    }
    done()
  })

  // helmet decides the security headers; they are the same for every response, so they are worked
  // out once here and set with one cheap hook (rebuilding helmet per request cost ~8 % of a request).
  const headers = securityHeaders(config.corsOrigins)
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers)
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
      keyGenerator: clientKey,
      // Probes must never be throttled.
      allowList: (request) => request.url === '/healthz' || request.url === '/readyz',
      errorResponseBuilder: (_request, context) => {
        const err = errorBody(429, `rate limit exceeded: at most ${context.max} requests per ${context.after} from one client; retry in ${Math.ceil(context.ttl / 1000)} s`)
        return Object.assign(new Error(err.message), err)
      },
    })
  }
}

export const securityPlugin = fp(security, { name: 'cni-security', fastify: '5.x' })
