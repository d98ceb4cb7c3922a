import type { FastifyInstance } from 'fastify'
import { catalogStamp, catalogStampValidity, findInstanceType, instanceTypeView, listInstanceTypes, maxPodsAnswer, pageOf } from '../../answers/answers.js'
import { FORMAT_FIELD, INSTANCE_TYPE_FIELDS, INSTANCE_TYPES_PAGE_FIELDS, MAX_PODS_FIELDS } from '../../answers/inputs.js'
import { tableAnswer, wantsTable } from '../csv.js'
import { INSTANCE_TYPES_TABLE } from '../tables.js'
import { jsonAnswer, sendAnswer } from '../cached.js'
import { parseQuery, querySchema } from '../input.js'
import { answerResponse, errorResponses, NOT_MODIFIED } from '../schemas.js'

interface NameParam {
  name: string
}
const nameParam = {
  type: 'object',
  properties: { name: { type: 'string', description: 'EC2 instance type, e.g. m5.large' } },
  required: ['name'],
}

/** The CSV and workbook columns (src/http/tables.ts). */
export const CSV_COLUMNS = INSTANCE_TYPES_TABLE.columns

export async function instanceTypeRoutes(app: FastifyInstance): Promise<void> {
  const answers = app.ctx.answers
  const f = answers.freshness

  app.get(
    '/v1/instance-types',
    {
      schema: {
        operationId: 'listInstanceTypes',
        tags: ['instance types'],
        summary: 'Instance types with their network limits, price and max pods per mode (JSON, or CSV with format=csv)',
        description:
          'By family, then by size as AWS lists them (nano … 48xlarge, metal, metal-24xl). Filters as Karpenter requirements: ' +
          'arch, category, generation (minimum), burstable, minVcpu, minMemoryMiB, bareMetal. JSON comes in pages of `limit` ' +
          '(default 100, at most 500): pass `nextCursor` as `cursor` for the next; CSV always has the whole list.',
        querystring: querySchema(INSTANCE_TYPES_PAGE_FIELDS, FORMAT_FIELD),
        response: {
          200: answerResponse('InstanceTypeList', 'A page of the instance types (JSON), or all of them (CSV)', { spreadsheet: CSV_COLUMNS }),
          304: NOT_MODIFIED,
          ...errorResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const a = answers.current()
      const { limit, cursor, ...list } = parseQuery(INSTANCE_TYPES_PAGE_FIELDS, request)
      const items = () => listInstanceTypes(a, list)
      // CSV is the whole list whatever the page asks: a spreadsheet takes one URL.
      if (wantsTable(request)) return sendAnswer(reply, a, await tableAnswer(request, a, `types:${JSON.stringify(list)}`, INSTANCE_TYPES_TABLE, items))
      const key = `types:${JSON.stringify({ ...list, limit, cursor })}`
      return sendAnswer(
        reply,
        a,
        jsonAnswer(a, key, () => ({ ...pageOf(items(), { limit, cursor }), catalog: catalogStamp(a.snap, list.region, f) }), catalogStampValidity(a.snap, list.region, f)),
      )
    },
  )

  app.get<{ Params: NameParam }>(
    '/v1/instance-types/:name',
    {
      schema: {
        operationId: 'getInstanceType',
        tags: ['instance types'],
        summary: 'One instance type; 404 naming it if unknown',
        params: nameParam,
        querystring: querySchema(INSTANCE_TYPE_FIELDS),
        response: { 200: answerResponse('InstanceType', 'The instance type'), 304: NOT_MODIFIED, ...errorResponses(400, 404, 414) },
      },
    },
    async (request, reply) => {
      const a = answers.current()
      const q = parseQuery(INSTANCE_TYPE_FIELDS, request, [])
      const name = request.params.name
      return sendAnswer(reply, a, jsonAnswer(a, `type:${q.region}:${q.capacityType}:${name}`, () => instanceTypeView(a, findInstanceType(a.snap, name), q.region, q.capacityType)))
    },
  )

  app.get<{ Params: NameParam }>(
    '/v1/instance-types/:name/max-pods',
    {
      schema: {
        operationId: 'getMaxPods',
        tags: ['instance types'],
        summary: 'Max pods per node for one mode, with the kubelet cap, DaemonSets, formula and sources',
        description:
          'maxPods is the address limit (for secondary-ip exactly as AWS publishes it); recommendedMaxPods applies the EKS ' +
          'guidance cap (110 up to 30 vCPUs, 250 above) and maxPodsCap; podsForWorkloads subtracts the 2 host-network pods ' +
          'and daemonSetsPerNode. A mode the type cannot run answers supported=false with the reason.',
        params: nameParam,
        querystring: querySchema(MAX_PODS_FIELDS),
        response: { 200: answerResponse('MaxPods', 'Max pods for the mode, or supported=false with the reason'), 304: NOT_MODIFIED, ...errorResponses(400, 404, 414) },
      },
    },
    async (request, reply) => {
      const a = answers.current()
      const q = parseQuery(MAX_PODS_FIELDS, request, [])
      const name = request.params.name
      return sendAnswer(reply, a, jsonAnswer(a, `maxpods:${name}:${q.mode}:${q.os}:${q.daemonSetsPerNode}:${q.maxPodsCap}`, () => maxPodsAnswer(a, name, q)))
    },
  )
}
