// Examples for the OpenAPI document: one request per operation, and its answer as the service gives it.
// The answers are worked out by the same answer functions the routes call, on the catalog version in
// memory when the document is first asked for, so an example is never out of step with the answers
// (test/http/openapi.test.ts asks the service each example's request and compares). Error examples are
// the messages the parsers and checks themselves give. What no answer function makes (a refresh report,
// a Slack message, the rate limit's refusal) is written here, as an illustration of its shape.
import { catalogStamp, catalogSummary, capacityPlanAnswer, findInstanceType, instanceTypeView, listInstanceTypes, maxPodsAnswer } from '../answers/answers.js'
import { CAPACITY_FIELDS, INSTANCE_TYPE_FIELDS, INSTANCE_TYPES_FIELDS, MAX_PODS_FIELDS, parseRequirements } from '../answers/inputs.js'
import { recommendationAnswer } from '../answers/recommendation.js'
import { checkAdminAuth, refreshErrorBody } from '../admin/index.js'
import { RefreshFailedError, RefreshInProgressError, RefreshRefusedError, RefreshTimeoutError, validateRegions } from '../catalog/refresh.js'
import { parseFields } from '../domain/fields.js'
import type { AppContext } from './context.js'
import { errorBody, MAX_PARAM_LENGTH, toErrorBody, type ErrorBody } from './errors.js'
import { MAX_URL_LENGTH } from './security.js'

/** The parts of an OpenAPI 3 document the examples go into. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>
  [key: string]: unknown
}
interface Media {
  schema?: unknown
  example?: unknown
}
export interface OpenApiOperation {
  operationId?: string
  parameters?: Array<{ name: string; in: string; example?: unknown; schema?: object }>
  requestBody?: { content: Record<string, Media> }
  responses: Record<string, { content?: Record<string, Media> }>
}

/** One operation's example: the request's parameters and body, and the answers by status and media type. */
export interface OperationExample {
  parameters?: Record<string, string | number | boolean>
  body?: unknown
  responses: Record<string, Record<string, unknown>>
}
export type Examples = Record<string, OperationExample>

/** The error an input gives, as the service answers it. */
function refusal(run: () => unknown): ErrorBody {
  try {
    run()
  } catch (err) {
    return toErrorBody(err)
  }
  throw new Error('the example input was expected to be refused')
}

const json = (value: unknown) => ({ 'application/json': value })

/** Options a recommendation example shows: the whole answer scores every option (about 100 kB of JSON). */
export const EXAMPLE_OPTIONS = 3

/** A recommendation as its example shows it: the first EXAMPLE_OPTIONS options, the rest as the service gives it. */
export function shortRecommendation<T extends { options: unknown[] }>(answer: T): T {
  return { ...answer, options: answer.options.slice(0, EXAMPLE_OPTIONS) }
}

/** The answers that depend on no request: the error statuses the request policy gives every route. */
export const POLICY_ERROR_EXAMPLES: Record<string, ErrorBody> = {
  413: errorBody(413, 'Request body is too large'),
  414: errorBody(414, `the URL is 9312 characters long; at most ${MAX_URL_LENGTH} are accepted (use POST with a JSON body for long inputs)`),
  415: errorBody(415, 'Unsupported Media Type: text/plain'),
  429: errorBody(429, 'rate limit exceeded: at most 600 requests per minute from one client; retry in 17 s'),
}

// A name over the router's limit is refused before any route runs (errors.ts).
const LONG_NAME = errorBody(414, `a name in the path /v1/instance-types/mmmm…mmm.large is longer than ${MAX_PARAM_LENGTH} characters, the most accepted`)

/**
 * The examples, from the catalog version in memory, the CSV in each route's own columns. An example
 * that cannot be worked out on this catalog (a test catalog without m5.large) is left out rather than
 * failing the document.
 */
export function buildExamples(ctx: AppContext): Examples {
  const a = ctx.answers.current()
  const snap = a.snap
  const f = ctx.answers.freshness
  const out: Examples = {}
  const add = (operationId: string, make: () => OperationExample) => {
    try {
      out[operationId] = make()
    } catch {
      // left out (see above)
    }
  }

  add('getLiveness', () => ({ responses: { 200: json({ status: 'ok' }) } }))
  add('getReadiness', () => ({
    responses: {
      200: json({ status: 'ready', database: ctx.db.kind, databaseUp: true, catalogVersion: snap.version }),
      503: json(errorBody(503, `not ready: the catalog is not loaded; the database (${ctx.db.kind}) does not answer: connection refused`)),
    },
  }))
  add('getCatalog', () => ({ responses: { 200: json(catalogSummary(snap, f)) } }))

  add('listInstanceTypes', () => {
    const parameters = { family: 'm5', region: 'us-east-1' }
    const q = parseFields(INSTANCE_TYPES_FIELDS, parameters, { textual: true })
    const items = listInstanceTypes(a, q).slice(0, 2)
    return {
      parameters,
      responses: {
        200: json({ items, catalog: catalogStamp(snap, q.region, f) }),
        400: json(refusal(() => parseFields(INSTANCE_TYPES_FIELDS, { region: 'us' }, { textual: true }))),
        404: json(refusal(() => listInstanceTypes(a, parseFields(INSTANCE_TYPES_FIELDS, { family: 'm55' }, { textual: true })))),
      },
    }
  })

  add('getInstanceType', () => {
    const parameters = { name: 'm5.large', region: 'us-east-1' }
    const q = parseFields(INSTANCE_TYPE_FIELDS, { region: parameters.region }, { textual: true })
    return {
      parameters,
      responses: {
        200: json(instanceTypeView(a, findInstanceType(snap, parameters.name), q.region)),
        400: json(refusal(() => parseFields(INSTANCE_TYPE_FIELDS, { region: 'nowhere' }, { textual: true }))),
        404: json(refusal(() => findInstanceType(snap, 'm5.larg'))),
        414: json(LONG_NAME),
      },
    }
  })

  add('getMaxPods', () => {
    const parameters = { name: 'm5.large', mode: 'prefix-delegation', daemonSetsPerNode: 2 }
    const q = parseFields(MAX_PODS_FIELDS, { mode: parameters.mode, daemonSetsPerNode: String(parameters.daemonSetsPerNode) }, { textual: true })
    return {
      parameters,
      responses: {
        200: json(maxPodsAnswer(a, parameters.name, q)),
        400: json(refusal(() => parseFields(MAX_PODS_FIELDS, { mode: 'turbo' }, { textual: true }))),
        404: json(refusal(() => maxPodsAnswer(a, 'm5.larg', q))),
        414: json(LONG_NAME),
      },
    }
  })

  const plan = { totalPods: 1000, podCpu: 0.25, podMemoryMiB: 512, instanceTypes: ['m5.large', 'c6i.xlarge'] }
  const planAnswers = () => {
    const q = parseFields(CAPACITY_FIELDS, plan, { textual: false })
    const answer = capacityPlanAnswer(snap, q, f)
    return {
      200: json(answer),
      400: json(refusal(() => parseFields(CAPACITY_FIELDS, { totalPods: '0' }, { textual: true }))),
      404: json(refusal(() => capacityPlanAnswer(snap, parseFields(CAPACITY_FIELDS, { totalPods: 10, family: 'zz9' }, { textual: false }), f))),
    }
  }
  add('getCapacityPlan', () => ({ parameters: { ...plan, instanceTypes: plan.instanceTypes.join(',') }, responses: planAnswers() }))
  add('planCapacity', () => ({ body: plan, responses: planAnswers() }))

  const needs = { networkPolicy: 'required', instanceTypes: ['m5.large'], totalPods: 500 }
  const recommendationAnswers = () => {
    const answer = shortRecommendation(recommendationAnswer(snap, parseRequirements(needs, { textual: false }), f))
    return {
      200: json(answer),
      400: json(refusal(() => parseRequirements({ multicast: 'maybe' }, { textual: true }))),
    }
  }
  add('getRecommendation', () => ({ parameters: { ...needs, instanceTypes: needs.instanceTypes.join(',') }, responses: recommendationAnswers() }))
  add('recommend', () => ({ body: needs, responses: recommendationAnswers() }))

  // The admin routes: the refusals are the check's own words; a report and a run are illustrations.
  const adminRefusals = {
    401: json(errorBody(401, (checkAdminAuth('an-admin-token-of-32-characters', undefined) as { message: string }).message)),
    503: json(errorBody(503, (checkAdminAuth(null, undefined) as { message: string }).message)),
  }
  const run = {
    id: 42,
    startedAt: '2026-12-01T06:00:00.000Z',
    finishedAt: '2026-12-01T06:00:41.000Z',
    regions: ['us-east-1', 'eu-west-1'],
    status: 'succeeded',
    instanceTypes: snap.typeList.length,
    prices: 1610,
    skipped: { 'no on-demand price': 3 },
    error: null,
    catalogVersion: snap.version + 1,
  }
  add('refreshCatalog', () => ({
    body: { regions: ['us-east-1', 'eu-west-1'] },
    responses: {
      200: json({
        runId: run.id,
        status: 'succeeded',
        catalogVersion: run.catalogVersion,
        regions: run.regions,
        notEnabled: [],
        instanceTypes: { total: snap.typeList.length, added: 1, removed: 0, updated: 4, addedNames: ['m8i.large'], removedNames: [] },
        prices: {
          total: 4010,
          byRegion: { 'us-east-1': 812, 'eu-west-1': 798 },
          byCapacityType: { 'us-east-1': { 'on-demand': 812, spot: 790, 'reserved-1y': 610 }, 'eu-west-1': { 'on-demand': 798, spot: 0, 'reserved-1y': 0 } },
          droppedWithTypes: { total: 0, byRegion: {} },
        },
        storagePrices: { total: 2, byRegion: { 'us-east-1': 1, 'eu-west-1': 1 } },
        skipped: { 'no on-demand price': 3 },
        durationMs: 41000,
      }),
      400: json(refusal(() => validateRegions(['us']))),
      409: json(refreshErrorBody(new RefreshInProgressError(run.id))),
      422: json(refreshErrorBody(new RefreshRefusedError(run.id, ['the new catalog has 212 fewer instance types (21 %), more than the 10 % allowed']))),
      502: json(refreshErrorBody(new RefreshFailedError(run.id, 'AWS EC2 DescribeInstanceTypes: UnauthorizedOperation'))),
      504: json(refreshErrorBody(new RefreshTimeoutError(run.id, 'the run outlasted REFRESH_TIMEOUT_SECONDS (300 s)'))),
      ...adminRefusals,
    },
  }))
  add('listRefreshRuns', () => ({ parameters: { limit: 5 }, responses: { 200: json({ items: [run] }), 400: json(errorBody(400, 'querystring/limit must be <= 100', 'limit')), ...adminRefusals } }))

  add('slackCommand', () => ({
    body: { command: '/cni', text: 'maxpods m5.large prefix-delegation', team_id: 'T0123ABCD', user_id: 'U0123ABCD', channel_id: 'C0123ABCD' },
    responses: {
      200: json({
        response_type: 'ephemeral',
        text: 'm5.large, prefix-delegation: 110 pods per node',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*m5.large, prefix-delegation*: 110 pods per node' } }],
      }),
      401: json(errorBody(401, 'Slack request not verified: the signature does not match')),
      503: json(errorBody(503, 'The Slack door is not configured: SLACK_SIGNING_SECRET is not set')),
    },
  }))

  const chartErrors = {
    400: json(refusal(() => parseFields(MAX_PODS_FIELDS, { mode: 'turbo' }, { textual: true }))),
    404: json(refusal(() => findInstanceType(snap, 'm5.larg', 'instanceTypes'))),
  }
  add('getPodsPerNodeChart', () => ({ parameters: { instanceTypes: 'm5.large,c5.xlarge', measure: 'pods-for-workloads' }, responses: chartErrors }))
  add('getPodsPerNodeChartPng', () => ({ parameters: { instanceTypes: 'm5.large,c5.xlarge', measure: 'pods-for-workloads' }, responses: chartErrors }))
  add('getCostPerPodChart', () => ({ parameters: { totalPods: 1000, podCpu: 0.25, podMemoryMiB: 512, limit: 5 }, responses: chartErrors }))
  add('getCostPerPodChartPng', () => ({ parameters: { totalPods: 1000, podCpu: 0.25, podMemoryMiB: 512, limit: 5 }, responses: chartErrors }))

  const query = 'query ($type: String!) { maxPods(instanceType: $type, mode: PREFIX_DELEGATION) { instanceType maxPods recommendedMaxPods formula } }'
  const graphqlAnswer = () => {
    const r = maxPodsAnswer(a, 'm5.large', parseFields(MAX_PODS_FIELDS, { mode: 'prefix-delegation' }, { textual: false }))
    return { data: { maxPods: { instanceType: r.instanceType, maxPods: r.maxPods, recommendedMaxPods: r.recommendedMaxPods, formula: r.formula } } }
  }
  const graphqlRefused = { data: null, errors: [{ message: 'Syntax Error: Expected Name, found "}".', locations: [{ line: 1, column: 12 }], extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] }
  add('graphqlQuery', () => ({
    parameters: { query, variables: JSON.stringify({ type: 'm5.large' }) },
    responses: {
      200: json(graphqlAnswer()),
      400: json(graphqlRefused),
      405: json({ data: null, errors: [{ message: 'Operation cannot be performed via a GET request', extensions: { code: 'METHOD_NOT_ALLOWED' } }] }),
    },
  }))
  add('graphql', () => ({ body: { query, variables: { type: 'm5.large' } }, responses: { 200: json(graphqlAnswer()), 400: json(graphqlRefused) } }))
  return out
}

/** Puts the examples into the document: parameters, request bodies and answers; the policy's errors everywhere. */
export function applyExamples(doc: OpenApiDocument, examples: Examples): OpenApiDocument {
  for (const methods of Object.values(doc.paths)) {
    for (const op of Object.values(methods)) {
      const ex = (op.operationId && examples[op.operationId]) || { responses: {} }
      for (const p of op.parameters ?? []) {
        if (ex.parameters && p.name in ex.parameters) p.example = ex.parameters[p.name]
      }
      if (op.requestBody && ex.body !== undefined) {
        for (const media of Object.values(op.requestBody.content)) media.example = ex.body
      }
      for (const [status, response] of Object.entries(op.responses)) {
        for (const [type, media] of Object.entries(response.content ?? {})) {
          const value = ex.responses[status]?.[type] ?? (type === 'application/json' ? POLICY_ERROR_EXAMPLES[status] : undefined)
          if (value !== undefined) media.example = value
        }
      }
    }
  }
  return doc
}
