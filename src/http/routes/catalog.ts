import type { FastifyInstance } from 'fastify'
import { catalogStamp } from '../../answers/answers.js'

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
    async () => {
      const snap = app.ctx.catalog.current()
      const f = { clock: app.ctx.clock, priceMaxAgeDays: app.ctx.config.priceMaxAgeDays }
      const regions = snap.regions.map((r) => {
        const stamp = catalogStamp(snap, r.region, f)
        return {
          region: r.region,
          prices: r.prices,
          pricesAsOf: r.oldestAsOf,
          newestAsOf: r.newestAsOf,
          priceAgeDays: stamp.priceAgeDays ?? 0,
          stale: stamp.stale,
          sources: r.sources,
        }
      })
      return {
        version: snap.version,
        createdAt: snap.createdAt,
        source: snap.source,
        instanceTypes: snap.typeList.length,
        prices: snap.regions.reduce((n, r) => n + r.prices, 0),
        priceMaxAgeDays: f.priceMaxAgeDays,
        stale: regions.some((r) => r.stale),
        regions,
      }
    },
  )
}
