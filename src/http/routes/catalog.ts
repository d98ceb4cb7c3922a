import type { FastifyInstance } from 'fastify'
import { catalogSummary } from '../../answers/answers.js'

export async function catalogRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/v1/catalog',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Catalog version, counts, regions with prices, how old each region\'s prices are and whether they are stale',
        response: {
          200: {
            type: 'object',
            properties: {
              version: { type: 'integer' },
              createdAt: { type: 'string' },
              source: { type: 'string', description: 'seed, or aws after a refresh' },
              instanceTypes: { type: 'integer' },
              prices: { type: 'integer' },
              priceMaxAgeDays: { type: 'integer' },
              stale: { type: 'boolean', description: 'true when any region\'s prices are older than priceMaxAgeDays' },
              regions: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    region: { type: 'string' },
                    prices: { type: 'integer' },
                    pricesAsOf: { type: 'string' },
                    newestAsOf: { type: 'string' },
                    priceAgeDays: { type: 'integer' },
                    stale: { type: 'boolean' },
                    sources: { type: 'array', items: { type: 'string' } },
                  },
                },
              },
            },
          },
        },
      },
    },
    async () => catalogSummary(app.ctx.catalog.current(), app.ctx.answers.freshness),
  )
}
