// Charts as SVG, for people who would rather look than read: the advisor page, Slack messages and the
// portal link to these URLs. Each route asks the same answers as the JSON routes and only draws them.
import type { FastifyInstance, FastifyReply } from 'fastify'
import { capacityPlanAnswer, maxPodsAnswer } from '../../answers/answers.js'
import { CAPACITY_FIELDS, MAX_PODS_FIELDS } from '../../answers/inputs.js'
import { barChartSvg, formatNumber } from '../../charts/svg.js'
import type { FieldTable } from '../../domain/fields.js'
import { INSTANCE_TYPE_PATTERN } from '../../domain/requirements.js'
import { MODES } from '../../domain/types.js'
import { errorSchema } from '../errors.js'
import { documentedOnly, parseQuery, querySchema } from '../input.js'

// Query words (textual enums are read in lower case) for the MaxPods fields of the same meaning.
const MEASURES = ['recommended-max-pods', 'pods-for-workloads', 'max-pods'] as const
type Measure = (typeof MEASURES)[number]

const MEASURE_FIELD = { 'recommended-max-pods': 'recommendedMaxPods', 'pods-for-workloads': 'podsForWorkloads', 'max-pods': 'maxPods' } as const

const MEASURE_WORDS: Record<Measure, string> = {
  'recommended-max-pods': 'max pods per node (kubelet --max-pods: address limit after the EKS cap)',
  'pods-for-workloads': 'workload pods per node (max pods − host-network and DaemonSet pods)',
  'max-pods': 'max pods per node by addresses alone (before the EKS cap)',
}

const width = {
  type: 'integer',
  min: 320,
  max: 1600,
  default: 720,
  description: 'Drawing width in pixels (the height follows from the data); the page asks for its own column width',
} as const

export const POD_CHART_FIELDS = {
  instanceTypes: {
    type: 'list',
    item: INSTANCE_TYPE_PATTERN,
    allowed: 'an EC2 instance type name like m5.large',
    // More groups of six bars than this is no longer a chart anyone reads.
    maxItems: 12,
    default: ['m5.large'],
    description: 'Instance types to compare (comma-separated, at most 12)',
  },
  modes: {
    type: 'list',
    item: new RegExp(`^(${MODES.join('|')})$`),
    allowed: `a mode (${MODES.join(', ')})`,
    maxItems: MODES.length,
    default: MODES,
    description: 'Modes to draw, one bar each (default: all)',
  },
  measure: {
    type: 'enum',
    values: MEASURES,
    default: 'recommended-max-pods',
    description: 'Which number of GET /v1/instance-types/{name}/max-pods to draw: recommended-max-pods (what kubelet --max-pods gets), pods-for-workloads or max-pods (addresses only)',
  },
  daemonSetsPerNode: MAX_PODS_FIELDS.daemonSetsPerNode,
  maxPodsCap: MAX_PODS_FIELDS.maxPodsCap,
  width,
} as const satisfies FieldTable

export const COST_CHART_FIELDS = {
  ...CAPACITY_FIELDS,
  limit: { type: 'integer', min: 1, max: 40, default: 10, description: 'Bars: the N cheapest instance types (at most 40)' },
  width,
} as const satisfies FieldTable

// Charts change only with the catalog (a refresh at most every few minutes matters little to a picture).
const CACHE_CONTROL = 'public, max-age=300'

function sendSvg(reply: FastifyReply, svg: string): FastifyReply {
  return reply
    .type('image/svg+xml; charset=utf-8')
    .header('cache-control', CACHE_CONTROL)
    .header('x-content-type-options', 'nosniff')
    // An SVG opened on its own is a document: it may run nothing and load nothing.
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
    .send(svg)
}

const svgResponse = {
  200: {
    description: 'An SVG bar chart with <title>, <desc> and axis labels',
    content: { 'image/svg+xml': { schema: { type: 'string' } } },
  },
  400: errorSchema,
  404: errorSchema,
}

export async function chartRoutes(app: FastifyInstance): Promise<void> {
  const freshness = () => ({ clock: app.ctx.clock, priceMaxAgeDays: app.ctx.config.priceMaxAgeDays })

  app.get(
    '/v1/charts/pods-per-node.svg',
    {
      validatorCompiler: documentedOnly,
      schema: {
        tags: ['charts'],
        summary: 'Bar chart (SVG) of pods per node in each mode for a few instance types',
        description: 'The numbers of GET /v1/instance-types/{name}/max-pods, one bar per mode; a mode a type cannot run shows "not supported".',
        querystring: querySchema(POD_CHART_FIELDS),
        response: svgResponse,
      },
    },
    async (request, reply) => {
      const q = parseQuery(POD_CHART_FIELDS, request, [])
      const snap = app.ctx.catalog.current()
      const modes = MODES.filter((m) => q.modes.includes(m))
      const groups = q.instanceTypes.map((name) => {
        const answers = modes.map((mode) =>
          maxPodsAnswer(snap, name, { mode, daemonSetsPerNode: q.daemonSetsPerNode, maxPodsCap: q.maxPodsCap, os: 'linux' }, 'instanceTypes'),
        )
        return { label: answers[0]?.instanceType ?? name, values: answers.map((a) => (a.supported ? a[MEASURE_FIELD[q.measure]] : null)) }
      })
      const extras = [
        q.daemonSetsPerNode ? `${q.daemonSetsPerNode} DaemonSet pods per node` : '',
        q.maxPodsCap !== null ? `--max-pods capped at ${q.maxPodsCap}` : '',
      ].filter(Boolean)
      const svg = barChartSvg({
        title: `Pods per node by networking mode${extras.length ? ` (${extras.join(', ')})` : ''}`,
        description:
          `${MEASURE_WORDS[q.measure]} for ${q.instanceTypes.join(', ')} in each mode: ${modes.join(', ')}. ` +
          `From catalog version ${snap.version}; formulas and sources at /v1/instance-types/{name}/max-pods.`,
        categoryAxisLabel: 'Instance type',
        valueAxisLabel: MEASURE_WORDS[q.measure],
        series: modes,
        groups,
        value: { decimals: 0 },
        missingLabel: 'not supported',
        width: q.width,
        idPrefix: 'pods-per-node',
      })
      return sendSvg(reply, svg)
    },
  )

  app.get(
    '/v1/charts/cost-per-pod.svg',
    {
      validatorCompiler: documentedOnly,
      schema: {
        tags: ['charts'],
        summary: 'Bar chart (SVG) of $ per pod-month for the N cheapest instance types of a capacity plan',
        description:
          'Takes the query parameters of GET /v1/capacity-plans (totalPods is required); `limit` is the number of bars ' +
          '(default 10). Types without a price in the region are left out.',
        querystring: querySchema(COST_CHART_FIELDS),
        response: svgResponse,
      },
    },
    async (request, reply) => {
      const q = parseQuery(COST_CHART_FIELDS, request, [])
      const { width: _width, ...capacity } = q
      const plan = capacityPlanAnswer(app.ctx.catalog.current(), { ...capacity, limit: null }, freshness())
      const priced = plan.rows.filter((r) => r.usdPerPodMonth !== null && r.nodes !== null)
      const rows = priced.slice(0, q.limit)
      const pods = formatNumber(plan.input.totalPods, 0)
      const stamp = plan.catalog.pricesAsOf ? `prices as of ${plan.catalog.pricesAsOf.slice(0, 10)}` : 'no prices for the region'
      const svg = barChartSvg({
        title: `$ per pod-month: ${pods} pods of ${q.podCpu} vCPU / ${q.podMemoryMiB} MiB, ${q.mode}, ${plan.region}`,
        description:
          `The ${rows.length} cheapest of ${priced.length} priced instance types for ${pods} workload pods ` +
          `(${q.podCpu} vCPU, ${q.podMemoryMiB} MiB each) in ${q.mode} mode: on-demand monthly cost (730 h) ÷ pods, ` +
          `with the nodes needed and what limits pods per node. Catalog version ${plan.catalog.version}, ${stamp}.`,
        categoryAxisLabel: 'Instance type',
        valueAxisLabel: 'USD per pod per month (on-demand, 730 h)',
        series: ['$ per pod-month'],
        groups: rows.map((r) => ({
          label: r.instanceType,
          values: [r.usdPerPodMonth],
          note: `${formatNumber(r.nodes ?? 0, 0)} ${r.nodes === 1 ? 'node' : 'nodes'}, ${r.podsPerNode} pods/node (${r.limitedBy})`,
        })),
        value: { decimals: 2, prefix: '$' },
        emptyMessage: `No instance type here has an on-demand price in ${plan.region}.`,
        width: q.width,
        idPrefix: 'cost-per-pod',
      })
      return sendSvg(reply, svg)
    },
  )
}
