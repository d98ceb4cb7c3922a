import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { MAX_REGIONS } from '../../catalog/refresh.js'
import { InputError } from '../../domain/types.js'
import { checkAdminAuth, refreshAndReload, refreshErrorBody, refreshRunsWithContext, stopRefreshes } from '../../admin/index.js'
import { errorBody } from '../errors.js'
import { ADMIN_SECURITY, errorResponse, errorResponses, ref } from '../schemas.js'

const countsSchema = { type: 'object', additionalProperties: { type: 'integer' } } as const

const reportSchema = {
  type: 'object',
  description: 'A committed refresh: the new catalog version and what changed',
  properties: {
    runId: { type: 'integer' },
    status: { type: 'string', enum: ['succeeded'] },
    catalogVersion: { type: 'integer' },
    regions: { type: 'array', items: { type: 'string' }, description: 'The regions refreshed (for ["all"]: every commercial region the Price List API knows)' },
    notEnabled: {
      type: 'array',
      items: { type: 'string' },
      description: 'Regions the account has not enabled: priced from the Price List API only (no spot prices); only a refresh of every region skips them on EC2',
    },
    instanceTypes: {
      type: 'object',
      properties: {
        total: { type: 'integer' },
        added: { type: 'integer', description: 'New to the catalog; they get trunking false, branchEnis 0 (no AWS API publishes them)' },
        removed: { type: 'integer', description: 'No longer returned by AWS, removed (within the sanity gate)' },
        updated: { type: 'integer', description: 'Known types with a changed limit or spec' },
        addedNames: { type: 'array', items: { type: 'string' } },
        removedNames: { type: 'array', items: { type: 'string' } },
      },
      required: ['total', 'added', 'removed', 'updated', 'addedNames', 'removedNames'],
    },
    prices: {
      type: 'object',
      properties: {
        total: { type: 'integer', description: 'Price rows written, every capacity type' },
        byRegion: { ...countsSchema, description: 'Instance types priced on demand, per region' },
        byCapacityType: {
          type: 'object',
          description: 'Per region, the instance types priced in each capacity type (on-demand, spot, reserved-1y)',
          additionalProperties: countsSchema,
        },
        droppedWithTypes: {
          type: 'object',
          description:
            'Prices deleted in regions this refresh did not fetch because their instance type left the catalog (a price must name a type the catalog has)',
          properties: { total: { type: 'integer' }, byRegion: countsSchema },
          required: ['total', 'byRegion'],
        },
      },
      required: ['total', 'byRegion', 'byCapacityType', 'droppedWithTypes'],
    },
    storagePrices: {
      type: 'object',
      description: 'gp3 storage prices written (per GB-month), per region 0 or 1',
      properties: { total: { type: 'integer' }, byRegion: countsSchema },
      required: ['total', 'byRegion'],
    },
    skipped: { ...countsSchema, description: 'AWS records not used, by reason' },
    durationMs: { type: 'integer' },
  },
  required: ['runId', 'status', 'catalogVersion', 'regions', 'notEnabled', 'instanceTypes', 'prices', 'storagePrices', 'skipped', 'durationMs'],
} as const

const runSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    startedAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: ['string', 'null'], format: 'date-time' },
    regions: { type: 'array', items: { type: 'string' } },
    status: { type: 'string', enum: ['running', 'succeeded', 'failed', 'refused'] },
    instanceTypes: { type: ['integer', 'null'] },
    prices: { type: ['integer', 'null'] },
    skipped: { type: ['object', 'null'], additionalProperties: { type: 'integer' } },
    error: { type: ['string', 'null'] },
    catalogVersion: { type: ['integer', 'null'] },
  },
  required: ['id', 'startedAt', 'finishedAt', 'regions', 'status', 'instanceTypes', 'prices', 'skipped', 'error', 'catalogVersion'],
} as const

const authHeaders = {
  type: 'object',
  properties: { authorization: { type: 'string', description: 'Bearer <ADMIN_TOKEN>' } },
} as const

export async function adminRoutes(app: FastifyInstance): Promise<void> {
  // Named for the document (GET /docs/json), as src/http/schemas.ts names the answers' shapes.
  app.addSchema({ $id: 'RefreshReport', ...reportSchema })
  app.addSchema({ $id: 'RefreshRun', ...runSchema })
  app.addSchema({ $id: 'RefreshRunList', type: 'object', properties: { items: { type: 'array', items: { $ref: 'RefreshRun#' } } }, required: ['items'] })
  // preClose runs before fastify waits for the requests in flight (fastify docs, Hooks: preClose): a
  // refresh then ends at once, recorded as failed, rather than holding the shutdown until its deadline.
  app.addHook('preClose', async () => stopRefreshes(app.ctx, 'the service is shutting down'))

  const requireAdmin = async (request: FastifyRequest, reply: FastifyReply) => {
    const auth = checkAdminAuth(app.ctx.config.adminToken, request.headers.authorization)
    if (auth.ok) return
    if (auth.statusCode === 401) reply.header('www-authenticate', 'Bearer realm="cni-advisor admin"')
    request.log.info({ statusCode: auth.statusCode }, 'admin request rejected')
    return reply.code(auth.statusCode).send(errorBody(auth.statusCode, auth.message))
  }

  app.post<{ Body: { regions?: string[] } | undefined }>(
    '/v1/admin/refresh',
    {
      onRequest: requireAdmin,
      // A POST without a body (curl -X POST) means "the default region".
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {}
      },
      schema: {
        operationId: 'refreshCatalog',
        tags: ['catalog'],
        security: ADMIN_SECURITY,
        summary: 'Pulls instance-type limits and on-demand, spot, reserved and gp3 prices from AWS into the catalog (admin token)',
        description:
          'Writes the whole new catalog in one transaction and bumps the catalog version, or writes nothing. ' +
          'Refuses (422) a result that would drop more than 10 % of the instance types or of a region’s prices; ' +
          'answers 409 while another replica refreshes. Branch-ENI limits keep their catalog values. ' +
          'A run that outlasts REFRESH_TIMEOUT_SECONDS (or whose AWS calls time out) is stopped and answers 504; ' +
          '503 when the database does not answer or the service is shutting down. ' +
          'Every run is recorded (GET /v1/admin/refresh-runs).',
        headers: authHeaders,
        body: {
          type: 'object',
          properties: {
            regions: {
              type: 'array',
              items: { type: 'string' },
              minItems: 1,
              maxItems: MAX_REGIONS,
              description:
                'Regions whose prices to refresh (default: AWS_REGION), or ["all"]: every commercial region the Price List API knows; limits are the union over them',
            },
          },
        },
        response: {
          200: { description: 'The refresh committed: the new catalog version and what changed', content: { 'application/json': { schema: ref('RefreshReport') } } },
          ...errorResponses(400, 401, 409, 422, 502),
          503: errorResponse(503, 'Service Unavailable: ADMIN_TOKEN is not set, the database does not answer, or the service is shutting down'),
          504: errorResponse(504),
        },
      },
    },
    async (request, reply) => {
      const body = request.body ?? {}
      const unknown = Object.keys(body).filter((k) => k !== 'regions')
      if (unknown.length > 0) {
        throw new InputError(unknown[0]!, `unknown field ${unknown[0]}; the body takes only regions (a list of region codes)`)
      }
      try {
        return await refreshAndReload(app.ctx, body.regions, request.log)
      } catch (err) {
        const mapped = refreshErrorBody(err)
        if (!mapped) throw err
        return reply.code(mapped.statusCode).send(mapped)
      }
    },
  )

  app.get<{ Querystring: { limit: number } }>(
    '/v1/admin/refresh-runs',
    {
      onRequest: requireAdmin,
      schema: {
        operationId: 'listRefreshRuns',
        tags: ['catalog'],
        security: ADMIN_SECURITY,
        summary: 'Recent catalog refresh runs, newest first (admin token)',
        description:
          'Runs left running by a process that is gone are closed (failed, "abandoned") first. ' +
          '503 when the database does not answer.',
        headers: authHeaders,
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
        },
        response: {
          200: { description: 'The runs, newest first', content: { 'application/json': { schema: ref('RefreshRunList') } } },
          ...errorResponses(400, 401),
          503: errorResponse(503, 'Service Unavailable: ADMIN_TOKEN is not set, or the database does not answer'),
        },
      },
    },
    async (request, reply) => {
      try {
        return { items: await refreshRunsWithContext(app.ctx, request.query.limit) }
      } catch (err) {
        const mapped = refreshErrorBody(err)
        if (!mapped) throw err
        request.log.warn({ err }, 'refresh runs not listed: the database does not answer')
        return reply.code(mapped.statusCode).send(mapped)
      }
    },
  )
}
