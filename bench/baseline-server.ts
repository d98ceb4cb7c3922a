// The baseline: bare fastify answering each benchmarked route with a precomputed body of the same
// bytes and content type as the service's answer. The ratio service/baseline is what the service's own
// work costs on top of the framework.
import Fastify from 'fastify'
import { readFileSync } from 'node:fs'

interface Canned {
  method: 'GET' | 'POST'
  path: string
  contentType: string
  body: string
}

const [file, port] = process.argv.slice(2)
const canned = JSON.parse(readFileSync(file!, 'utf8')) as Canned[]
const app = Fastify({ logger: false, bodyLimit: 256 * 1024 })
// Slack posts a form; accept it as a string, as the service does, without interpreting it.
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body))
for (const c of canned) {
  const body = Buffer.from(c.body)
  app.route({ method: c.method, url: c.path, handler: async (_req, reply) => reply.type(c.contentType).send(body) })
}
await app.listen({ port: Number(port), host: '127.0.0.1' })
