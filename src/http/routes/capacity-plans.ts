import type { FastifyInstance, FastifyRequest } from 'fastify'
import { capacityPlanAnswer, catalogStamp, catalogStampValidity, pricingText, type CapacityPlanAnswer, type CapacityQuery } from '../../answers/answers.js'
import type { CatalogSnapshot } from '../../catalog/snapshot.js'
import { jsonAnswer, sendAnswer, type KeptAnswer } from '../cached.js'
import type { Asked } from '../../answers/pipeline.js'
import { CAPACITY_FIELDS, FORMAT_FIELD } from '../../answers/inputs.js'
import { tableAnswer, wantsTable } from '../csv.js'
import { CAPACITY_PLAN_TABLE } from '../tables.js'
import { parseBody, parseQuery, querySchema } from '../input.js'
import { answerResponse, errorResponses, NOT_MODIFIED, ref } from '../schemas.js'

/** The CSV and workbook columns (src/http/tables.ts). */
export const CSV_COLUMNS = CAPACITY_PLAN_TABLE.columns

export async function capacityPlanRoutes(app: FastifyInstance): Promise<void> {
  // A spreadsheet re-fetches the same question: its rendered body is kept per catalog version under the
  // parsed question, until the prices' day count moves (catalogStampValidity).
  const answers = app.ctx.answers
  const f = answers.freshness
  const render = (request: FastifyRequest, a: Asked, q: CapacityQuery): KeptAnswer | Promise<KeptAnswer> => {
    const key = `plan:${JSON.stringify(q)}`
    const answer = (): CapacityPlanAnswer => capacityPlanAnswer(a.snap, q, f)
    const valid = catalogStampValidity(a.snap, q.region, f)
    if (!wantsTable(request)) return jsonAnswer(a, key, answer, valid)
    return tableAnswer(
      request,
      a,
      key,
      CAPACITY_PLAN_TABLE,
      () => {
        const plan = answer()
        const pricing = pricingText(plan.pricing)
        return plan.rows.map((r) => ({ ...r, region: plan.region, totalPods: plan.input.totalPods, rankedBy: plan.pricing.ranking, pricing }))
      },
      valid,
    )
  }

  const description =
    'Per instance type: workload pods per node limited by VPC addresses, allocatable CPU, allocatable memory or the kubelet cap ' +
    '(limitedBy says which), nodes, VPC IPv4 addresses with the warm pool, $/hour, $/month (730 h) and $/pod-month. ' +
    'Sorted by monthly cost; types without a price in the region follow, by nodes, with null cost and a note, and `pricing` says ' +
    'how many are priced (where none is, rows are ranked by nodes). Filters as for GET /v1/instance-types; `modes` compares ' +
    'modes side by side; `podsPerNode` leaves out (with the reason) types whose nodes cannot fit that many workload pods. ' +
    'A plan over the whole catalog (no instanceTypes, no family) takes amd64 types unless `arch` says otherwise.'

  app.get(
    '/v1/capacity-plans',
    {
      schema: {
        operationId: 'getCapacityPlan',
        tags: ['capacity'],
        summary: 'Capacity plan for a workload (JSON, or CSV with format=csv / Accept: text/csv)',
        description,
        querystring: querySchema(CAPACITY_FIELDS, FORMAT_FIELD, { required: ['totalPods'] }),
        response: { 200: answerResponse('CapacityPlan', 'The plan, one row per instance type', { spreadsheet: CSV_COLUMNS }), 304: NOT_MODIFIED, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const a = answers.current()
      return sendAnswer(reply, a, await render(request, a, parseQuery(CAPACITY_FIELDS, request)))
    },
  )

  app.post(
    '/v1/capacity-plans',
    {
      schema: {
        operationId: 'planCapacity',
        tags: ['capacity'],
        summary: 'Capacity plan for a workload (JSON body; CSV with ?format=csv)',
        description,
        body: { allOf: [ref('CapacityPlanInput')] },
        querystring: { type: 'object', properties: FORMAT_FIELD },
        response: { 200: answerResponse('CapacityPlan', 'The plan, one row per instance type', { spreadsheet: CSV_COLUMNS, conditional: false }), ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const a = answers.current()
      return sendAnswer(reply, a, await render(request, a, parseBody(CAPACITY_FIELDS, request)))
    },
  )
}
