// What every request passes through: its request id, security headers, CORS (off unless configured),
// a rate limit per client, and a cap on URL length. Registered with fastify-plugin so it covers every
// route registered after it.
import cors from '@fastify/cors'
import helmet from 'helmet'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyContextConfig, FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, preHandlerHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { errorBody } from './errors.js'
import { clientKey, describeWindow, RateLimiter } from './rate-limit.js'

/** Longer URLs get 414 (Node's own header limit, 16 KiB, would answer 431 without a JSON body). */
export const MAX_URL_LENGTH = 8192

/**
 * Slack posts from Slack's shared addresses, so the Slack route counts requests per workspace
 * (team_id, known once the form is parsed: its limit is checked in a preHandler). Everything else counts
 * per client address, before the body is read (behind a proxy, TRUST_PROXY says who the caller is).
 */
export function slackRateLimitKey(request: FastifyRequest): string {
  const body = request.body as { team_id?: unknown } | undefined
  return body && typeof body.team_id === 'string' ? `slack:${body.team_id.slice(0, 64)}` : `ip:${request.ip}`
}

/**
 * An API answer (JSON, CSV, SVG) is data, not a document: the headers that protect data are that it
 * is never sniffed into something else and never rendered, framed or run (the OWASP REST Security
 * Cheat Sheet's set for API responses, less what TLS termination and caching decide elsewhere).
 * Referrer-Policy, which governs the requests a document makes, stays with the pages: an answer makes
 * none, and each header costs every answer (~3,300 instructions, bench/results.md).
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
     * How a route is rate-limited: absent = per client address, before anything else is done;
     * false = never (probes: a throttled probe takes a healthy pod out); { keyGenerator } = counted
     * once the body is parsed, under the key it gives (Slack: per workspace).
     */
    rateLimit?: false | { keyGenerator: (request: FastifyRequest) => string }
  }
}

/**
 * What every request passes through, decided once per route when the route is registered (onRoute)
 * rather than per request: its request id and security headers, the URL length cap and the rate limit.
 * Requests no route matches get the same in the not-found handler's preHandler (unmatched).
 */
export function requestPolicy(config: Pick<Config, 'corsOrigins' | 'rateLimitMax' | 'rateLimitWindowSeconds'>, limiter: RateLimiter | null) {
  // helmet decides the security headers of the pages (/, /docs, /graphiql); they are the same for
  // every response, so they are worked out once (rebuilding helmet per request cost ~8 % of a request).
  // Answers of the API are data, not documents: they get the headers that matter for data (API_HEADERS),
  // which also keeps a small answer's headers small.
  const pageHeaders = securityHeaders(config.corsOrigins)
  const window = limiter ? describeWindow(limiter.windowMs) : ''

  const refuse = (reply: FastifyReply, retryAfter: number, who: string): void => {
    void reply
      .code(429)
      .headers({ 'retry-after': String(retryAfter), 'x-ratelimit-limit': String(limiter!.max), 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(retryAfter) })
      .send(errorBody(429, `rate limit exceeded: at most ${limiter!.max} requests per ${window} from one ${who}; retry in ${retryAfter} s`))
  }
  /**
   * What every request gets before anything else: its id and headers, then the URL cap and (perClient)
   * the per-client limit. False when it has answered (414 or 429) and the request goes no further.
   */
  const admit = (request: FastifyRequest, reply: FastifyReply, headers: Readonly<Record<string, string>>, perClient: boolean): boolean => {
    reply.header('x-request-id', request.id)
    reply.headers(headers)
    if (request.url.length > MAX_URL_LENGTH) {
      void reply.code(414).send(errorBody(414, `the URL is ${request.url.length} characters long; at most ${MAX_URL_LENGTH} are accepted (use POST with a JSON body for long inputs)`))
      return false
    }
    if (perClient) {
      const wait = limiter!.take(clientKey(request.ip))
      if (wait) {
        refuse(reply, wait, 'client')
        return false
      }
    }
    return true
  }

  /** The onRequest hook of one route, and a preHandler when its limit is keyed on the parsed body. */
  function forRoute(url: string, rateLimit: FastifyContextConfig['rateLimit']): { onRequest: onRequestHookHandler; preHandler: preHandlerHookHandler | null } {
    const headers = isApi(url) ? API_HEADERS : pageHeaders
    const perClient = limiter !== null && rateLimit === undefined
    const onRequest: onRequestHookHandler = (request, reply, done) => {
      if (admit(request, reply, headers, perClient)) done()
    }
    if (limiter === null || !rateLimit) return { onRequest, preHandler: null }
    const keyOf = rateLimit.keyGenerator
    const preHandler: preHandlerHookHandler = (request, reply, done) => {
      const wait = limiter.take(keyOf(request))
      if (wait) return refuse(reply, wait, 'workspace')
      done()
    }
    return { onRequest, preHandler }
  }

  /** For requests no route matched (the not-found handler's preHandler): the headers go by the URL. */
  const unmatched: preHandlerHookHandler = (request, reply, done) => {
    if (admit(request, reply, isApi(request.url) ? API_HEADERS : pageHeaders, limiter !== null)) done()
  }

  return { forRoute, unmatched }
}

const asList = <T>(hooks: T | T[] | undefined): T[] => (hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks])

async function security(app: FastifyInstance): Promise<void> {
  const { config } = app.ctx
  const limiter = config.rateLimitMax > 0 ? new RateLimiter({ max: config.rateLimitMax, windowMs: config.rateLimitWindowSeconds * 1000 }) : null
  const policy = requestPolicy(config, limiter)
  app.decorate('requestPolicy', policy)

  // Ours go first on every route, so even an answer refused by a later hook carries the request id and
  // the headers; a route's own hooks keep their order after them.
  app.addHook('onRoute', (route) => {
    const { onRequest, preHandler } = policy.forRoute(route.url ?? '', route.config?.rateLimit)
    route.onRequest = [onRequest, ...asList(route.onRequest)]
    if (preHandler) route.preHandler = [preHandler, ...asList(route.preHandler)]
  })

  if (config.corsOrigins.length) {
    await app.register(cors, {
      origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'authorization', 'x-request-id'],
      exposedHeaders: ['x-request-id', 'retry-after'],
      maxAge: 600,
      // Its onRequest hook runs before the routes' own (above), so every answer a browser gets, a 429 or
      // a 413 included, carries the CORS headers it needs to read it; preflights are answered there.
    })
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The per-route request policy (headers, URL cap, rate limit); errors.ts applies `unmatched` to 404s. */
    requestPolicy: ReturnType<typeof requestPolicy>
  }
}

export const securityPlugin = fp(security, { name: 'cni-security', fastify: '5.x' })
