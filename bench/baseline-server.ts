// The baseline: bare fastify answering each benchmarked route with a precomputed body of the same
// bytes and content type as the service's answer (its gzipped bytes to a request that accepts gzip,
// when the service sent those). The ratio service/baseline is what the service's own work costs on
// top of the framework.
//
// For a miss row (a different question on every request) the service's answers differ in size, so the
// baseline keeps a pool of the service's answers to sampled questions of that row and rotates through
// it: the same distribution of body sizes. A request names its pool in the x-bench-pool header (both
// servers get it; the service ignores it).
import Fastify from 'fastify'
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { acceptsGzip } from '../src/http/encoding.js'

export const POOL_HEADER = 'x-bench-pool'

export interface Canned {
  method: 'GET' | 'POST'
  /** The route as fastify matches it: a fixed path, or a pattern like /v1/instance-types/:name/max-pods. */
  path: string
  contentType: string
  /** The body is the service's gzipped answer, sent with content-encoding: gzip. */
  gzip: boolean
  /** base64 of the exact bytes */
  body: string
  /** One of the bodies of this pool (a miss row), rotated through for requests that name it. */
  pool?: string
}

interface Route {
  method: 'GET' | 'POST'
  path: string
  plain?: Canned
  gzip?: Canned
  pools: Map<string, { contentType: string; bodies: Buffer[]; next: number }>
}

export async function serveBaseline(file: string, port: number): Promise<void> {
  const canned = JSON.parse(readFileSync(file, 'utf8')) as Canned[]
  const app = Fastify({ logger: false, bodyLimit: 256 * 1024 })
  // Slack posts a form; accept it as a string, as the service does, without interpreting it.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body))
  const routes = new Map<string, Route>()
  for (const c of canned) {
    const key = `${c.method} ${c.path}`
    const route: Route = routes.get(key) ?? { method: c.method, path: c.path, pools: new Map() }
    if (c.pool !== undefined) {
      const pool = route.pools.get(c.pool) ?? { contentType: c.contentType, bodies: [], next: 0 }
      pool.bodies.push(Buffer.from(c.body, 'base64'))
      route.pools.set(c.pool, pool)
    } else {
      route[c.gzip ? 'gzip' : 'plain'] = c
    }
    routes.set(key, route)
  }
  for (const { method, path, plain, gzip, pools } of routes.values()) {
    const plainBody = plain && Buffer.from(plain.body, 'base64')
    const gzipBody = gzip && Buffer.from(gzip.body, 'base64')
    app.route({
      method,
      url: path,
      handler: async (req, reply) => {
        if (pools.size > 0) {
          const pool = pools.get(req.headers[POOL_HEADER] as string)
          if (pool) return reply.type(pool.contentType).send(pool.bodies[pool.next++ % pool.bodies.length])
        }
        if (gzipBody && acceptsGzip(req.headers['accept-encoding'])) {
          return reply.type(gzip.contentType).header('content-encoding', 'gzip').send(gzipBody)
        }
        return reply.type(plain!.contentType).send(plainBody)
      },
    })
  }
  await app.listen({ port, host: '127.0.0.1' })
}

// run.ts imports a type and a constant from here; the server runs only when this file is the script.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, port] = process.argv.slice(2)
  await serveBaseline(file!, Number(port))
}
