// Charts as SVG, for people who would rather look than read: the advisor page and the portal link to
// these URLs; the same charts as PNG for Slack, whose image blocks take no SVG. Each route asks the same
// answers as the JSON routes and only draws them.
import type { FastifyInstance, FastifyReply } from 'fastify'
import { capacityPlanAnswer, catalogStampValidity, maxPodsAnswer, type Freshness } from '../../answers/answers.js'
import { ALWAYS, type Asked, type Validity } from '../../answers/pipeline.js'
import { sendAnswer } from '../cached.js'
import { COST_CHART_FIELDS, POD_CHART_FIELDS, type Measure } from '../../answers/inputs.js'
import { describeFilter } from '../../domain/type-filters.js'
import { PNG_TYPE, svgToPng } from '../../charts/png.js'
import { barChartSvg, formatNumber } from '../../charts/svg.js'
import type { Parsed } from '../../domain/fields.js'
import { MODES } from '../../domain/types.js'
import { CACHE_HEADERS, errorResponses, NOT_MODIFIED } from '../schemas.js'
import { parseQuery, querySchema } from '../input.js'
import { planPriceBasis, type PriceBasis } from '../price-basis.js'

const MEASURE_FIELD = { 'recommended-max-pods': 'recommendedMaxPods', 'pods-for-workloads': 'podsForWorkloads', 'max-pods': 'maxPods' } as const

const MEASURE_WORDS: Record<Measure, string> = {
  'recommended-max-pods': 'max pods per node (kubelet --max-pods: address limit after the EKS cap)',
  'pods-for-workloads': 'workload pods per node (max pods − host-network and DaemonSet pods)',
  'max-pods': 'max pods per node by addresses alone (before the EKS cap)',
}

const SVG_TYPE = 'image/svg+xml; charset=utf-8'

/** A chart is an answer like any other: drawn once per catalog version and question, kept in the pipeline. */
function keptSvg(a: Asked, key: string, draw: () => string, valid: Validity = ALWAYS) {
  return a.rendered(key, () => ({ body: Buffer.from(draw(), 'utf8'), type: SVG_TYPE, disposition: null, valid }))
}

function sendSvg(reply: FastifyReply, a: Asked, key: string, draw: () => string, valid?: Validity): FastifyReply {
  const rendered = keptSvg(a, key, draw, valid)
  // (Cache-Control, ETag and Last-Modified come with the answer: cached.ts, conditional.ts.)
  // An SVG opened on its own is a document: it may run nothing and load nothing.
  reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
  return sendAnswer(reply, a, { key, rendered })
}

/**
 * The PNG is drawn from the kept SVG of the same question (`svg:` key), so both always show the same
 * bars, and is kept beside it under `png:`, counted in the same byte budget: one render per catalog
 * version and question. Two requests that miss at once may both render; neither blocks the event loop.
 */
async function sendPng(reply: FastifyReply, a: Asked, svgKey: string, draw: () => string, valid: Validity = ALWAYS): Promise<FastifyReply> {
  const key = `png:${svgKey}`
  let rendered = a.peek(key)
  if (rendered === undefined) {
    const svg = keptSvg(a, svgKey, draw, valid)
    rendered = a.keep(key, { body: await svgToPng(svg.body.toString('utf8')), type: PNG_TYPE, disposition: null, valid })
  }
  return sendAnswer(reply, a, { key, rendered })
}

const svgResponse = {
  200: {
    description: 'An SVG bar chart with <title>, <desc> and axis labels',
    headers: CACHE_HEADERS,
    content: { 'image/svg+xml': { schema: { type: 'string' } } },
  },
  304: NOT_MODIFIED,
  ...errorResponses(400, 404),
}

const pngResponse = {
  200: {
    description: 'The same chart as the .svg route, as a PNG at twice its pixel size (for Slack image blocks)',
    headers: CACHE_HEADERS,
    content: { [PNG_TYPE]: { schema: { type: 'string', format: 'binary' } } },
  },
  304: NOT_MODIFIED,
  ...errorResponses(400, 404),
}

const withFormat = (doc: { summary: string; description: string }, format: 'SVG' | 'PNG') => ({
  summary: `${doc.summary} (${format})`,
  description: format === 'SVG' ? doc.description : `${doc.description} The .svg route's chart, drawn as PNG for Slack and chat tools.`,
})

type PodChartQuery = Parsed<typeof POD_CHART_FIELDS>
type CostChartQuery = Parsed<typeof COST_CHART_FIELDS>

/** The pods-per-node chart as SVG: the numbers of the max-pods route, one bar per mode. */
function podsChart(a: Asked, q: PodChartQuery): string {
  const snap = a.snap
  const modes = MODES.filter((m) => q.modes.includes(m))
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
  return barChartSvg({
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
}

const article = (word: string) => (/^[aeiou]/i.test(word) ? 'an' : 'a')

/** "Spot prices: aws-ec2-spot-price-history, as of 2026-11-30": drawn on the chart, so a PNG alone says it. */
function priceLine(region: string, b: PriceBasis): string {
  const kind = `${b.capacityType.charAt(0).toUpperCase()}${b.capacityType.slice(1)}`
  return b.asOf === null ? `${kind} prices: none in the catalog for ${region}` : `${kind} prices: ${b.sources.join(', ')}, as of ${b.asOf.slice(0, 10)}`
}

/**
 * The cost-per-pod chart as SVG: the N cheapest priced instance types of the capacity plan the query asks
 * (its types, filters, podsPerNode, capacityType and modes: one bar per mode). Types without a price are
 * not drawn, and the chart says how many of the plan's types are priced, with which kind of price, from
 * where and of when (the catalog's own record, src/answers/prices.ts).
 */
function costChart(a: Asked, q: CostChartQuery, f: Freshness): string {
  const { width: _width, ...capacity } = q
  const plan = capacityPlanAnswer(a.snap, { ...capacity, limit: null }, f)
  const basis = planPriceBasis(a.snap, plan, q)
  const kind = plan.pricing.capacityType
  const priced = plan.rows.filter((r) => r.usdPerPodMonth !== null && r.nodes !== null)
  // The types in the plan's order (cheapest first), each with its row per mode.
  const byType = new Map<string, Map<string, (typeof priced)[number]>>()
  for (const r of priced) {
    let m = byType.get(r.instanceType)
    if (m === undefined) {
      if (byType.size >= q.limit) continue
      byType.set(r.instanceType, (m = new Map()))
    }
    m.set(r.mode, r)
  }
  const pods = formatNumber(plan.input.totalPods, 0)
  const modes = plan.modes.join(', ')
  const single = plan.modes.length === 1
  const asked = [
    describeFilter(plan.filters),
    plan.input.podsPerNode !== null ? `at least ${plan.input.podsPerNode} pods per node` : '',
  ].filter(Boolean)
  const sources = priceLine(plan.region, basis)
  return barChartSvg({
    title: `$ per pod-month: ${pods} pods of ${q.podCpu} vCPU / ${q.podMemoryMiB} MiB, ${modes}, ${plan.region}`,
    subtitle: [`${sources} · ${plan.pricing.summary}`, ...(asked.length ? [`Types: ${asked.join('; ')}`] : [])],
    description:
      `The ${byType.size} cheapest of the priced instance types (${plan.pricing.summary}) for ${pods} workload pods ` +
      `(${q.podCpu} vCPU, ${q.podMemoryMiB} MiB each) in ${single ? `${modes} mode` : `the modes ${modes}`}` +
      (asked.length ? ` (${asked.join('; ')})` : '') +
      `: ${kind} monthly cost (730 h) ÷ pods, with the nodes needed and what limits pods per node. ` +
      `${sources} (${basis.words}). ` +
      (plan.assumptions.length ? `${plan.assumptions.join(' ')} ` : '') +
      `Catalog version ${plan.catalog.version}.`,
    categoryAxisLabel: 'Instance type',
    valueAxisLabel: `USD per pod per month (${kind}, 730 h)`,
    series: single ? ['$ per pod-month'] : plan.modes,
    groups: [...byType].map(([name, rows]) => {
      const first = single ? rows.get(plan.modes[0]!) : undefined
      return {
        label: name,
        values: plan.modes.map((m) => rows.get(m)?.usdPerPodMonth ?? null),
        ...(first ? { note: `${formatNumber(first.nodes ?? 0, 0)} ${first.nodes === 1 ? 'node' : 'nodes'}, ${first.podsPerNode} pods/node (${first.limitedBy})` } : {}),
      }
    }),
    value: { decimals: 2, prefix: '$' },
    ...(single ? {} : { missingLabel: 'no price or cannot serve' }),
    emptyMessage:
      plan.pricing.types === 0
        ? 'No instance type here can serve this workload as asked.'
        : `No instance type here has ${article(kind)} ${kind} price in ${plan.region} (${plan.pricing.summary}): run a catalog refresh for the region.`,
    width: q.width,
    idPrefix: 'cost-per-pod',
  })
}

const POD_CHART_DOC = {
  summary: 'Bar chart of pods per node in each mode for a few instance types',
  description: 'The numbers of GET /v1/instance-types/{name}/max-pods, one bar per mode; a mode a type cannot run shows "not supported".',
}
const COST_CHART_DOC = {
  summary: 'Bar chart of $ per pod-month for the N cheapest instance types of a capacity plan',
  description:
    'Takes the query parameters of GET /v1/capacity-plans (totalPods is required): its instance types, family, filters, ' +
    'podsPerNode, capacityType and modes (one bar per mode); `limit` is the number of instance types (default 10). Types without a ' +
    'price of the asked kind in the region are left out; the chart says how many are priced, and the kind of price with its source and date.',
}

export async function chartRoutes(app: FastifyInstance): Promise<void> {
  const freshness = () => app.ctx.answers.freshness

  app.get(
    '/v1/charts/pods-per-node.svg',
    { schema: { operationId: 'getPodsPerNodeChart', tags: ['charts'], ...withFormat(POD_CHART_DOC, 'SVG'), querystring: querySchema(POD_CHART_FIELDS), response: svgResponse } },
    async (request, reply) => {
      const q = parseQuery(POD_CHART_FIELDS, request, [])
      const a = app.ctx.answers.current()
      return sendSvg(reply, a, `svg:pods:${JSON.stringify(q)}`, () => podsChart(a, q))
    },
  )

  app.get(
    '/v1/charts/pods-per-node.png',
    { schema: { operationId: 'getPodsPerNodeChartPng', tags: ['charts'], ...withFormat(POD_CHART_DOC, 'PNG'), querystring: querySchema(POD_CHART_FIELDS), response: pngResponse } },
    async (request, reply) => {
      const q = parseQuery(POD_CHART_FIELDS, request, [])
      const a = app.ctx.answers.current()
      return sendPng(reply, a, `svg:pods:${JSON.stringify(q)}`, () => podsChart(a, q))
    },
  )

  app.get(
    '/v1/charts/cost-per-pod.svg',
    { schema: { operationId: 'getCostPerPodChart', tags: ['charts'], ...withFormat(COST_CHART_DOC, 'SVG'), querystring: querySchema(COST_CHART_FIELDS, {}, { required: ['totalPods'] }), response: svgResponse } },
    async (request, reply) => {
      const q = parseQuery(COST_CHART_FIELDS, request, [])
      const a = app.ctx.answers.current()
      return sendSvg(reply, a, `svg:cost:${JSON.stringify(q)}`, () => costChart(a, q, freshness()), catalogStampValidity(a.snap, q.region, freshness()))
    },
  )

  app.get(
    '/v1/charts/cost-per-pod.png',
    { schema: { operationId: 'getCostPerPodChartPng', tags: ['charts'], ...withFormat(COST_CHART_DOC, 'PNG'), querystring: querySchema(COST_CHART_FIELDS, {}, { required: ['totalPods'] }), response: pngResponse } },
    async (request, reply) => {
      const q = parseQuery(COST_CHART_FIELDS, request, [])
      const a = app.ctx.answers.current()
      return sendPng(reply, a, `svg:cost:${JSON.stringify(q)}`, () => costChart(a, q, freshness()), catalogStampValidity(a.snap, q.region, freshness()))
    },
  )
}
