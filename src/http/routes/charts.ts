// Charts as SVG, for people who would rather look than read: the advisor page, Slack messages and the
// portal link to these URLs. Each route asks the same answers as the JSON routes and only draws them.
import type { FastifyInstance, FastifyReply } from 'fastify'
import { capacityPlanAnswer, catalogStampValidity, maxPodsAnswer } from '../../answers/answers.js'
import type { Asked, Validity } from '../../answers/pipeline.js'
import { sendAnswer } from '../cached.js'
import { COST_CHART_FIELDS, POD_CHART_FIELDS, type Measure } from '../../answers/inputs.js'
import { barChartSvg, formatNumber } from '../../charts/svg.js'
import { MODES } from '../../domain/types.js'
import { errorSchema } from '../errors.js'
import { parseQuery, querySchema } from '../input.js'

const MEASURE_FIELD = { 'recommended-max-pods': 'recommendedMaxPods', 'pods-for-workloads': 'podsForWorkloads', 'max-pods': 'maxPods' } as const

const MEASURE_WORDS: Record<Measure, string> = {
  'recommended-max-pods': 'max pods per node (kubelet --max-pods: address limit after the EKS cap)',
  'pods-for-workloads': 'workload pods per node (max pods − host-network and DaemonSet pods)',
  'max-pods': 'max pods per node by addresses alone (before the EKS cap)',
}

// Charts change only with the catalog (a refresh at most every few minutes matters little to a picture).
const CACHE_CONTROL = 'public, max-age=300'

const SVG_TYPE = 'image/svg+xml; charset=utf-8'

/** A chart is an answer like any other: drawn once per catalog version and question, kept in the pipeline. */
function sendSvg(reply: FastifyReply, a: Asked, key: string, draw: () => string, valid?: Validity): FastifyReply {
  const rendered = a.rendered(key, () => ({ body: Buffer.from(draw(), 'utf8'), type: SVG_TYPE, disposition: null, valid: valid ?? { from: -Infinity, until: Infinity } }))
  reply
    .header('cache-control', CACHE_CONTROL)
    // An SVG opened on its own is a document: it may run nothing and load nothing.
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
  return sendAnswer(reply, a, { key, rendered })
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
  const freshness = () => app.ctx.answers.freshness

  app.get(
    '/v1/charts/pods-per-node.svg',
    {
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
      const a = app.ctx.answers.current()
      const snap = a.snap
      const modes = MODES.filter((m) => q.modes.includes(m))
      return sendSvg(reply, a, `svg:pods:${JSON.stringify(q)}`, () => {
      const groups = q.instanceTypes.map((name) => {
        const answers = modes.map((mode) =>
          maxPodsAnswer(a, name, { mode, daemonSetsPerNode: q.daemonSetsPerNode, maxPodsCap: q.maxPodsCap, os: 'linux' }, 'instanceTypes'),
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
      return svg
      })
    },
  )

  app.get(
    '/v1/charts/cost-per-pod.svg',
    {
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
      const a = app.ctx.answers.current()
      return sendSvg(reply, a, `svg:cost:${JSON.stringify(q)}`, () => {
      const plan = capacityPlanAnswer(a.snap, { ...capacity, limit: null }, freshness())
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
      return svg
      }, catalogStampValidity(a.snap, q.region, freshness()))
    },
  )
}
