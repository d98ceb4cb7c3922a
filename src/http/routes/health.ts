import type { FastifyInstance } from 'fastify'
import { errorBody, errorSchema } from '../errors.js'

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/healthz',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['health'],
        summary: 'Liveness: 200 while the process lives',
        response: { 200: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } } },
      },
      logLevel: 'warn',
    },
    async () => ({ status: 'ok' }),
  )

  app.get(
    '/readyz',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['health'],
        summary: 'Readiness: 200 when the database answers and the catalog is loaded, 503 with the reason otherwise',
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string', enum: ['ready'] },
              database: { type: 'string' },
              catalogVersion: { type: 'integer' },
            },
          },
          503: errorSchema,
        },
      },
      logLevel: 'warn',
    },
    async (_request, reply) => {
      const { db, catalog } = app.ctx
      if (!catalog.loaded) {
        return reply.code(503).send(errorBody(503, `not ready: the catalog is not loaded${catalog.error ? ` (${catalog.error})` : ''}`))
      }
      try {
        await withTimeout(db.ping(), 2000)
      } catch (err) {
        return reply
          .code(503)
          .send(errorBody(503, `not ready: the database (${db.kind}) does not answer: ${(err as Error).message}; answers continue from the catalog in memory`))
      }
      return { status: 'ready', database: db.kind, catalogVersion: catalog.current().version }
    },
  )
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
    p.then(
      (v) => {
        clearTimeout(t)
        resolve(v)
      },
      (e) => {
        clearTimeout(t)
        reject(e)
      },
    )
  })
}
