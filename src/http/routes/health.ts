// Liveness and readiness.
//
// Readiness means "can answer". Every answer comes from the catalog in memory, so a replica with a
// catalog loaded is ready (200) even while the database is down, and says so in the body (databaseUp,
// databaseError). Only a replica with no catalog is not ready (503). Kubernetes takes a replica out of
// its Services' endpoints while its readiness probe fails, and restarts nothing for it
// (https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/#readiness-probe).
// If the database counted, a database outage would take every replica out at once, although each
// could still answer. The database's state is reported instead: here, in cni_db_up (metrics.ts), and
// in the 503 of the routes that need it.
//
// Neither body shows where the database is: errors are named by kind (connection refused,
// authentication failed, no answer within 1000 ms...), never by their message, which carries host
// names, addresses and ports. The full error goes to the log.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Db } from '../../db/db.js'
import { errorBody } from '../errors.js'
import { errorResponse } from '../schemas.js'

/** How long /readyz waits for the database: well under the readiness probe's timeoutSeconds (3 s). */
export const READY_DB_WAIT_MS = 1000

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/healthz',
    {
      config: { rateLimit: false },
      schema: {
        operationId: 'getLiveness',
        tags: ['health'],
        summary: 'Liveness: 200 while the process lives',
        response: { 200: { description: 'The process lives', type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } } },
      },
      logLevel: 'warn',
    },
    async () => ({ status: 'ok' }),
  )

  const dbCheck = new DatabaseCheck(app.ctx.db, app.log)
  app.get(
    '/readyz',
    {
      config: { rateLimit: false },
      schema: {
        operationId: 'getReadiness',
        tags: ['health'],
        summary: 'Readiness: 200 while the catalog is loaded (the answers come from it), database up or not; 503 without a catalog',
        description:
          'Readiness means "can answer": a replica whose database is down still answers from the catalog in memory, so it stays ' +
          'ready and says the database is down (databaseUp false, databaseError naming the kind of failure, never an address). ' +
          'Only a replica with no catalog loaded is not ready (503).',
        response: {
          200: {
            description: 'Ready: the catalog is loaded (the database may be down: databaseUp says)',
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['ready'] },
              database: { type: 'string', description: 'The kind of database: postgres or pglite' },
              databaseUp: { type: 'boolean', description: `Whether the database answered a trivial query within ${READY_DB_WAIT_MS} ms` },
              databaseError: { type: 'string', description: 'When it did not: what kind of failure (never the address)' },
              catalogVersion: { type: 'integer' },
            },
            required: ['status', 'database', 'databaseUp', 'catalogVersion'],
          },
          503: errorResponse(503, 'Not ready: no catalog is loaded'),
        },
      },
      logLevel: 'warn',
    },
    async (_request, reply) => {
      const { db, catalog } = app.ctx
      const down = await dbCheck.run(READY_DB_WAIT_MS)
      if (!catalog.loaded) {
        const why = catalog.error ? ` (${redactAddresses(catalog.error)})` : ''
        const dbState = down === null ? 'the database answers' : `the database (${db.kind}) does not answer: ${down}`
        return reply.code(503).send(errorBody(503, `not ready: the catalog is not loaded${why}; ${dbState}`))
      }
      return {
        status: 'ready',
        database: db.kind,
        databaseUp: down === null,
        ...(down === null ? {} : { databaseError: `the database (${db.kind}) does not answer: ${down}; answers continue from the catalog in memory` }),
        catalogVersion: catalog.current().version,
      }
    },
  )
}

/**
 * Pings the database for /readyz: at most one ping in flight (probes of a frozen database do not pile
 * up connections), each caller waiting at most `waitMs` for it. A ping that has not settled after
 * `stalePingMs` is given up and the next probe starts a new one: a query on a frozen connection may
 * never settle, and the check must see the database come back. Logs the full error when the database
 * goes down and a line when it is back.
 */
export class DatabaseCheck {
  private running: Promise<void> | null = null
  private startedAt = 0
  private lastDown: string | null = null

  constructor(
    private readonly db: Pick<Db, 'ping' | 'kind'>,
    private readonly log: Pick<FastifyBaseLogger, 'warn' | 'info'>,
    private readonly stalePingMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Null when the database answered within waitMs; otherwise what kind of failure it was. */
  async run(waitMs: number): Promise<string | null> {
    if (!this.running || this.now() - this.startedAt >= this.stalePingMs) {
      const ping: Promise<void> = this.db.ping().finally(() => {
        if (this.running === ping) this.running = null
      })
      this.running = ping
      this.startedAt = this.now()
    }
    const ping = this.running
    let timer: NodeJS.Timeout | undefined
    const result = await Promise.race([
      ping.then(
        () => null,
        (err: unknown) => ({ err }),
      ),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), waitMs)
      }),
    ])
    clearTimeout(timer)
    const down = result === null ? null : result === 'timeout' ? `no answer within ${waitMs} ms` : describeDatabaseError(result.err)
    if (down !== null && this.lastDown === null) {
      this.log.warn({ err: result !== null && result !== 'timeout' ? result.err : undefined, database: this.db.kind, reason: down }, 'readiness: the database does not answer; answering from the catalog in memory')
    } else if (down === null && this.lastDown !== null) {
      this.log.info({ database: this.db.kind }, 'readiness: the database answers again')
    }
    this.lastDown = down
    return down
  }
}

// Node's network errors (err.code), by what they say about the database, not where it is.
const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ECONNABORTED: 'connection aborted',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host down',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
}

// PostgreSQL's SQLSTATE codes (https://www.postgresql.org/docs/current/errcodes-appendix.html), by
// code, then by class (the first two characters).
const SQLSTATES: Record<string, string> = {
  '3D000': 'the database does not exist',
  '57P01': 'the server is shutting down',
  '57P02': 'the server is shutting down',
  '57P03': 'the server is starting up or recovering',
  '53300': 'too many connections',
}
const SQLSTATE_CLASSES: Record<string, string> = {
  '08': 'connection failure',
  '28': 'authentication failed',
  '53': 'the server is out of resources',
  '57': 'the query was cancelled or the server is shutting down',
  '58': 'the server reported a system error',
  XX: 'the server reported an internal error',
}

/**
 * What kind of failure a database error is, in words that carry no host name, address, port, user or
 * database name: from its code (Node's network codes, PostgreSQL's SQLSTATE), else "query failed".
 */
export function describeDatabaseError(err: unknown): string {
  const e = err as { code?: unknown; errors?: Array<{ code?: unknown }>; message?: unknown } | null
  // Node ≥ 20 tries each address of a host in turn and reports an AggregateError of them.
  const code = typeof e?.code === 'string' ? e.code : typeof e?.errors?.[0]?.code === 'string' ? e.errors[0].code : ''
  if (NETWORK_ERRORS[code]) return NETWORK_ERRORS[code]
  if (/^[0-9A-Z]{5}$/.test(code)) return SQLSTATES[code] ?? SQLSTATE_CLASSES[code.slice(0, 2)] ?? `error ${code}`
  const message = typeof e?.message === 'string' ? e.message : ''
  // node-postgres' own words when the server goes away mid-connection.
  if (/connection terminated/i.test(message)) return 'connection terminated'
  if (/timeout/i.test(message)) return 'connection timed out'
  return 'query failed'
}

/**
 * A message with every address taken out: URLs (a connection string included), user@host, IPv4 and
 * IPv6 addresses, host:port, and the host name after a DNS error code. For messages that are only
 * strings (the catalog's last load error).
 */
export function redactAddresses(message: string): string {
  return message
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]*/gi, '<address>')
    .replace(/[^\s"'<>()@]+@[^\s"'<>()]+/g, '<address>')
    .replace(/\b(ENOTFOUND|EAI_AGAIN|EAI_NONAME)\s+[^\s,;)]+/g, '$1')
    .replace(/\[[0-9a-f:.%\w]*:[0-9a-f:.%\w]*\](:\d+)?/gi, '<address>')
    .replace(/(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f.]{0,15}(?:%\w+)?/gi, (m) => (/[0-9a-f]/i.test(m) ? '<address>' : m))
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '<address>')
    .replace(/\b(?:[a-z0-9-]+\.)+[a-z][a-z0-9-]*:\d{1,5}\b/gi, '<address>')
    .replace(/\b[a-z][a-z0-9-]*:\d{2,5}\b/gi, '<address>')
}
