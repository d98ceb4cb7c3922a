// What every request passes through: its request id, security headers, CORS (off unless configured),
// a rate limit per client, and a cap on URL length. Registered with fastify-plugin so it covers every
// route registered after it.
import cors from '@fastify/cors'
import helmet from 'helmet'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyContextConfig, FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, preHandlerHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { BAD_URL, errorBody } from './errors.js'
import { clientKey, describeWindow, RateLimiter, type RateLimitVerdict } from './rate-limit.js'

/** Longer URLs get 414 (Node's own header limit, 16 KiB, would answer 431 without a JSON body). */
export const MAX_URL_LENGTH = 8192

/**
 * The second key of a Slack command: its workspace (team_id). It is read from the form body, which
 * anyone can write, so it is only used after the signature has been checked: the route's own
 * preHandler verifies it and answers 401 otherwise, and the workspace count runs after the route's
 * preHandlers (see `rateLimit` below). Every Slack request has already been counted per client address
 * in onRequest, like any other request, so a request without a team_id is not counted a second time.
 */
export function slackRateLimitKey(request: FastifyRequest): string | null {
  const body = request.body as { team_id?: unknown } | undefined
  return body && typeof body.team_id === 'string' && body.team_id !== '' ? `slack:${body.team_id.slice(0, 64)}` : null
}

/**
 * An API answer (JSON, CSV, SVG) is data, not a document: the headers that protect data are that it
 * is never sniffed into something else and never rendered, framed or run (the OWASP REST Security
 * Cheat Sheet's set for API responses, less what TLS termination and caching decide elsewhere).
 * Referrer-Policy, which governs the requests a document makes, stays with the pages: an answer makes
 * none, and each header costs every answer (bench/results.md has the measurement).
 */
export const API_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
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

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * How a route is rate-limited. Absent: per client address, in onRequest, before anything else is
     * done. false: never (probes, since a throttled probe takes a healthy pod out). { keyGenerator }:
     * per client address in onRequest as well, then once more under the key it gives. That second count
     * runs after the route's own preHandlers (body parsed, validated, and for Slack the signature
     * checked). A null key means no second count.
     */
    rateLimit?: false | { keyGenerator: (request: FastifyRequest) => string | null }
  }
}

/**
 * What every request passes through, decided once per route when the route is registered (onRoute)
 * rather than per request: its request id and security headers, the URL length cap and the rate limit.
 * Requests no route matches get the same from the not-found handler's onRequest hook (`unmatched`),
 * and so do the malformed URLs fastify's router refuses (frameworkErrors, in errors.ts).
 */
export function requestPolicy(config: Pick<Config, 'corsOrigins' | 'rateLimitMax' | 'rateLimitWindowSeconds'>, limiter: RateLimiter | null) {
  // helmet decides the security headers of the pages (/, /docs, /graphiql); they are the same for
  // every response, so they are worked out once (rebuilding helmet per request cost ~8 % of a request).
  // Answers of the API are data, not documents: they get the headers that matter for data (API_HEADERS),
  // which also keeps a small answer's headers small.
  const pageHeaders = securityHeaders(config.corsOrigins)
  const window = limiter ? describeWindow(limiter.windowMs) : ''
  const limitHeader = limiter ? String(limiter.max) : ''
  let fullLoggedAt = -Infinity

  /**
   * The x-ratelimit-* headers of a verdict, on every rate-limited answer (as @fastify/rate-limit sends
   * them: the limit, what is left, seconds until the window ends). A 429 also gets Retry-After and the
   * error body. True when the request may go on.
   */
  const apply = (reply: FastifyReply, v: Readonly<RateLimitVerdict>, who: string): boolean => {
    const reset = String(v.reset)
    reply.header('x-ratelimit-limit', limitHeader)
    reply.header('x-ratelimit-remaining', String(v.remaining))
    reply.header('x-ratelimit-reset', reset)
    if (v.allowed) return true
    if (v.refused === 'full' && Date.now() - fullLoggedAt >= limiter!.windowMs) {
      // Said once per window: a table full of live windows is a flood from many addresses, or a limit
      // table too small for the clients this replica serves.
      fullLoggedAt = Date.now()
      reply.log.warn({ maxClients: limiter!.maxClients }, 'rate limit table full of live windows: new clients get 429 until the oldest window ends')
    }
    const message =
      v.refused === 'full'
        ? `rate limit exceeded: the service is counting as many clients as it can (${limiter!.maxClients}) and none of their windows has ended; retry in ${reset} s`
        : `rate limit exceeded: at most ${limiter!.max} requests per ${window} from one ${who}; retry in ${reset} s`
    void reply.code(429).header('retry-after', reset).send(errorBody(429, message))
    return false
  }

  /**
   * What every request gets before anything else: its id and headers, then the URL cap and (perClient)
   * the per-client limit. False when it has answered (414 or 429) and the request goes no further.
   */
  const admit = (request: FastifyRequest, reply: FastifyReply, url: string, headers: Readonly<Record<string, string>>, perClient: boolean): boolean => {
    reply.header('x-request-id', request.id)
    reply.headers(headers)
    if (url.length > MAX_URL_LENGTH) {
      void reply.code(414).send(errorBody(414, `the URL is ${url.length} characters long; at most ${MAX_URL_LENGTH} are accepted (use POST with a JSON body for long inputs)`))
      return false
    }
    return !perClient || apply(reply, limiter!.take(clientKey(request.ip)), 'client')
  }

  /** The onRequest hook of one route, and a preHandler when it is also counted under a key of its own. */
  function forRoute(url: string, rateLimit: FastifyContextConfig['rateLimit']): { onRequest: onRequestHookHandler; preHandler: preHandlerHookHandler | null } {
    const headers = isApi(url) ? API_HEADERS : pageHeaders
    const perClient = limiter !== null && rateLimit !== false
    const onRequest: onRequestHookHandler = (request, reply, done) => {
      if (admit(request, reply, request.url, headers, perClient)) done()
    }
    if (limiter === null || !rateLimit) return { onRequest, preHandler: null }
    const keyOf = rateLimit.keyGenerator
    const preHandler: preHandlerHookHandler = (request, reply, done) => {
      const key = keyOf(request)
      // The headers then describe this count, the one the route is limited by in practice.
      if (key === null || apply(reply, limiter.take(key), 'workspace')) done()
    }
    return { onRequest, preHandler }
  }

  /**
   * For requests no route matched (the not-found handler's onRequest): the headers go by the URL. A
   * malformed URL arrives here under a stand-in path (errors.ts), so the URL it was sent with decides.
   */
  const unmatched: onRequestHookHandler = (request, reply, done) => {
    const url = (request.raw as { [BAD_URL]?: unknown })[BAD_URL] !== undefined ? request.originalUrl : request.url
    if (admit(request, reply, url, isApi(url) ? API_HEADERS : pageHeaders, limiter !== null)) done()
  }

  return { forRoute, unmatched, limiter }
}

const asList = <T>(hooks: T | T[] | undefined): T[] => (hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks])

async function security(app: FastifyInstance): Promise<void> {
  const { config } = app.ctx
  const limiter = config.rateLimitMax > 0 ? new RateLimiter({ max: config.rateLimitMax, windowMs: config.rateLimitWindowSeconds * 1000 }) : null
  const policy = requestPolicy(config, limiter)
  app.decorate('requestPolicy', policy)

  // Ours go first on every route's onRequest, so even an answer refused by a later hook carries the
  // request id and the headers; a route's own hooks keep their order after them.
  app.addHook('onRoute', (route) => {
    const { onRequest, preHandler } = policy.forRoute(route.url ?? '', route.config?.rateLimit)
    route.onRequest = [onRequest, ...asList(route.onRequest)]
    // After the route's own preHandlers: a key taken from the body is trusted only once they pass.
    if (preHandler) route.preHandler = [...asList(route.preHandler), preHandler]
  })

  if (config.corsOrigins.length) {
    await app.register(cors, {
      origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'authorization', 'x-request-id'],
      exposedHeaders: ['x-request-id', 'retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
      maxAge: 600,
      // Its onRequest hook runs before the routes' own (above), so every answer a browser gets, a 429 or
      // a 413 included, carries the CORS headers it needs to read it; preflights are answered there.
    })
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The per-route request policy (headers, URL cap, rate limit); errors.ts applies `unmatched` to 404s and bad URLs. */
    requestPolicy: ReturnType<typeof requestPolicy>
  }
}

export const securityPlugin = fp(security, { name: 'cni-security', fastify: '5.x', dependencies: ['cni-context'] })
