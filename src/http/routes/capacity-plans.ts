import type { FastifyInstance, FastifyRequest } from 'fastify'
import { capacityPlanAnswer, catalogStamp, catalogStampValidity, type CapacityPlanAnswer, type CapacityQuery } from '../../answers/answers.js'
import type { CatalogSnapshot } from '../../catalog/snapshot.js'
import { jsonAnswer, sendAnswer, type KeptAnswer } from '../cached.js'
import type { Asked } from '../../answers/pipeline.js'
import { CAPACITY_FIELDS, FORMAT_FIELD } from '../../answers/inputs.js'
import type { CapacityRow } from '../../domain/capacity.js'
import { csvAnswer, toCsv, wantsCsv, type CsvColumn } from '../csv.js'
import { parseBody, parseQuery, querySchema } from '../input.js'
import { answerResponse, errorResponses, NOT_MODIFIED, ref } from '../schemas.js'

const CSV_COLUMNS: CsvColumn<CapacityRow & { region: string; totalPods: number }>[] = [
  { name: 'instance_type', value: (r) => r.instanceType },
  { name: 'mode', value: (r) => r.mode },
  { name: 'region', value: (r) => r.region },
  { name: 'total_pods', value: (r) => r.totalPods },
  { name: 'pods_per_node', value: (r) => r.podsPerNode },
  { name: 'limited_by', value: (r) => r.limitedBy },
  { name: 'nodes', value: (r) => r.nodes },
  { name: 'vpc_ips', value: (r) => r.vpcIps },
  { name: 'usd_per_hour', value: (r) => r.usdPerHour },
  { name: 'monthly_usd', value: (r) => r.monthlyUsd },
  { name: 'usd_per_pod_month', value: (r) => r.usdPerPodMonth },
  { name: 'allocatable_cpu_milli', value: (r) => r.allocatableCpuMilli },
  { name: 'allocatable_memory_mib', value: (r) => r.allocatableMemoryMiB },
  { name: 'reason', value: (r) => r.reason },
  { name: 'notes', value: (r) => r.notes.join('; ') },
  { name: 'formula', value: (r) => r.formula },
]

export async function capacityPlanRoutes(app: FastifyInstance): Promise<void> {
  // A spreadsheet re-fetches the same question: its rendered body is kept per catalog version under the
  // parsed question, until the prices' day count moves (catalogStampValidity).
  const answers = app.ctx.answers
  const f = answers.freshness
  const render = (request: FastifyRequest, a: Asked, q: CapacityQuery): KeptAnswer => {
    const key = `plan:${JSON.stringify(q)}`
    const answer = (): CapacityPlanAnswer => capacityPlanAnswer(a.snap, q, f)
    const valid = catalogStampValidity(a.snap, q.region, f)
    if (!wantsCsv(request)) return jsonAnswer(a, key, answer, valid)
    return csvAnswer(
      a,
      key,
      'capacity-plan.csv',
      () => {
        const plan = answer()
        return toCsv(CSV_COLUMNS, plan.rows.map((r) => ({ ...r, region: plan.region, totalPods: plan.input.totalPods })))
      },
      valid,
    )
  }

  const description =
    'Per instance type: workload pods per node limited by VPC addresses, allocatable CPU, allocatable memory or the kubelet cap ' +
    '(limitedBy says which), nodes, VPC IPv4 addresses with the warm pool, $/hour, $/month (730 h) and $/pod-month. ' +
    'Sorted by monthly cost; types without a price in the region follow with null cost and a note.'

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
      return sendAnswer(reply, a, render(request, a, parseQuery(CAPACITY_FIELDS, request)))
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
      return sendAnswer(reply, a, render(request, a, parseBody(CAPACITY_FIELDS, request)))
    },
  )
}
