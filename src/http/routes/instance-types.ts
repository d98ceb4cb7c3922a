import type { FastifyInstance } from 'fastify'
import { catalogStamp, catalogStampValidity, findInstanceType, instanceTypeView, listInstanceTypes, maxPodsAnswer, type InstanceTypeView } from '../../answers/answers.js'
import { FORMAT_FIELD, INSTANCE_TYPE_FIELDS, INSTANCE_TYPES_FIELDS, MAX_PODS_FIELDS } from '../../answers/inputs.js'
import { MODES } from '../../domain/types.js'
import { csvAnswer, toCsv, wantsCsv, type CsvColumn } from '../csv.js'
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

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
const snake = (s: string) => s.replace(/-/g, '_')

const CSV_COLUMNS: CsvColumn<InstanceTypeView>[] = [
  { name: 'name', value: (t) => t.name },
  { name: 'family', value: (t) => t.family },
  { name: 'vcpu', value: (t) => t.vcpu },
  { name: 'memory_mib', value: (t) => t.memoryMiB },
  { name: 'arch', value: (t) => t.arch },
  { name: 'max_enis', value: (t) => t.maxEnis },
  { name: 'ipv4_per_eni', value: (t) => t.ipv4PerEni },
  { name: 'network_cards', value: (t) => t.networkCards },
  { name: 'hypervisor', value: (t) => t.hypervisor },
  { name: 'bare_metal', value: (t) => t.bareMetal },
  { name: 'trunking', value: (t) => t.trunking },
  { name: 'branch_enis', value: (t) => t.branchEnis },
  { name: 'encryption_in_transit', value: (t) => t.encryptionInTransit },
  { name: 'network_bandwidth_mbps', value: (t) => t.networkBandwidthMbps },
  { name: 'region', value: (t) => t.price?.region ?? null },
  { name: 'price_usd_per_hour', value: (t) => t.price?.usdPerHour ?? null },
  ...MODES.map((m) => ({ name: `max_pods_${snake(m)}`, value: (t: InstanceTypeView) => t.maxPods[camel(m)] ?? null })),
  ...MODES.map((m) => ({ name: `recommended_max_pods_${snake(m)}`, value: (t: InstanceTypeView) => t.recommendedMaxPods[camel(m)] ?? null })),
]

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
        querystring: querySchema(INSTANCE_TYPES_FIELDS, FORMAT_FIELD),
        response: {
          200: answerResponse('InstanceTypeList', 'A page of the instance types (JSON), or all of them (CSV)', { spreadsheet: CSV_COLUMNS }),
          304: NOT_MODIFIED,
          ...errorResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const a = answers.current()
      const q = parseQuery(INSTANCE_TYPES_FIELDS, request)
      const key = `types:${q.region}:${q.family ?? '*'}`
      const items = () => listInstanceTypes(a, q)
      if (wantsCsv(request)) return sendAnswer(reply, a, csvAnswer(a, key, 'instance-types.csv', () => toCsv(CSV_COLUMNS, items())))
      return sendAnswer(reply, a, jsonAnswer(a, key, () => ({ items: items(), catalog: catalogStamp(a.snap, q.region, f) }), catalogStampValidity(a.snap, q.region, f)))
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
      return sendAnswer(reply, a, jsonAnswer(a, `type:${q.region}:${name}`, () => instanceTypeView(a, findInstanceType(a.snap, name), q.region)))
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
