// The baseline: bare fastify answering each benchmarked route with a precomputed body of the same
// bytes and content type as the service's answer (its gzipped bytes to a request that accepts gzip,
// when the service sent those). The ratio service/baseline is what the service's own work costs on
// top of the framework.
import Fastify from 'fastify'
import { readFileSync } from 'node:fs'
import { acceptsGzip } from '../src/http/encoding.js'

export interface Canned {
  method: 'GET' | 'POST'
  path: string
  contentType: string
  /** The body is the service's gzipped answer, sent with content-encoding: gzip. */
  gzip: boolean
  /** base64 of the exact bytes */
  body: string
}

export async function serveBaseline(file: string, port: number): Promise<void> {
  const canned = JSON.parse(readFileSync(file, 'utf8')) as Canned[]
  const app = Fastify({ logger: false, bodyLimit: 256 * 1024 })
  // Slack posts a form; accept it as a string, as the service does, without interpreting it.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body))
  const routes = new Map<string, { method: 'GET' | 'POST'; path: string; plain?: Canned; gzip?: Canned }>()
  for (const c of canned) {
    const key = `${c.method} ${c.path}`
    const route = routes.get(key) ?? { method: c.method, path: c.path }
    route[c.gzip ? 'gzip' : 'plain'] = c
    routes.set(key, route)
  }
  for (const { method, path, plain, gzip } of routes.values()) {
    const plainBody = plain && Buffer.from(plain.body, 'base64')
    const gzipBody = gzip && Buffer.from(gzip.body, 'base64')
    app.route({
      method,
      url: path,
      handler: async (req, reply) => {
        if (gzipBody && acceptsGzip(req.headers['accept-encoding'])) {
          return reply.type(gzip.contentType).header('content-encoding', 'gzip').send(gzipBody)
        }
        return reply.type(plain!.contentType).send(plainBody)
      },
    })
  }
  await app.listen({ port, host: '127.0.0.1' })
}

// run.ts imports only the Canned type from here (erased at compile time), so this runs only as a script.
const [file, port] = process.argv.slice(2)
await serveBaseline(file!, Number(port))
