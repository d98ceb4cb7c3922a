import type { FastifyInstance } from 'fastify'
import { catalogSummary } from '../../answers/answers.js'
import { ref } from '../schemas.js'

export async function catalogRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/v1/catalog',
    {
      schema: {
        operationId: 'getCatalog',
        tags: ['catalog'],
        summary: 'Catalog version, counts, regions with prices, how old each region\'s prices are and whether they are stale',
        response: { 200: { description: 'The catalog summary', content: { 'application/json': { schema: ref('CatalogSummary') } } } },
      },
    },
    async () => catalogSummary(app.ctx.catalog.current(), app.ctx.answers.freshness),
  )
}
