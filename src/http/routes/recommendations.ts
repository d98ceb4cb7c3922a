import type { FastifyInstance, FastifyRequest } from 'fastify'
import { FORMAT_FIELD } from '../../answers/inputs.js'
import { recommendationAnswer, type RecommendationAnswer } from '../../answers/recommendation.js'
import { parseRequirements, REQUIREMENT_FIELDS } from '../../domain/requirements.js'
import type { ScoredOption } from '../../domain/scoring.js'
import { CNI_OPTIONS } from '../../domain/cni-options.js'
import { InputError, PLUGINS, type Requirements } from '../../domain/types.js'
import type { CatalogSnapshot } from '../../catalog/snapshot.js'
import { csvAnswer, toCsv, wantsCsv, type CsvColumn } from '../csv.js'
import { catalogStamp, catalogStampValidity } from '../../answers/answers.js'
import { jsonAnswer, sendAnswer, type KeptAnswer } from '../cached.js'
import type { Asked } from '../../answers/pipeline.js'
import { errorSchema } from '../errors.js'
import { bodySchema, querySchema } from '../input.js'

const CSV_COLUMNS: CsvColumn<ScoredOption & { rank: number }>[] = [
  { name: 'rank', value: (o) => o.rank },
  { name: 'id', value: (o) => o.id },
  { name: 'plugin', value: (o) => o.plugin },
  { name: 'variant', value: (o) => o.variant },
  { name: 'name', value: (o) => o.name },
  { name: 'score', value: (o) => o.score },
  { name: 'verdict', value: (o) => o.verdict },
  { name: 'blockers', value: (o) => o.blockers.map((b) => `${b.criterion}: ${b.reason}`).join(' | ') },
  { name: 'instance_type', value: (o) => o.density.instanceType },
  { name: 'mode', value: (o) => o.density.mode },
  { name: 'max_pods_per_node', value: (o) => o.density.maxPodsPerNode },
  { name: 'pods_for_workloads', value: (o) => o.density.podsForWorkloads },
  { name: 'vpc_ips_per_node', value: (o) => o.density.vpcIpsPerNode },
  { name: 'caveats', value: (o) => o.caveats.join(' | ') },
  { name: 'explanation', value: (o) => o.explanation },
  { name: 'references', value: (o) => o.references.join(' ') },
]

const optionSchema = {
  type: 'object',
  properties: {
    // The ids the knowledge base has (CONTRACT.md: <plugin>-<variant>); more may be added, none renamed.
    id: { type: 'string', enum: CNI_OPTIONS.map((o) => o.id), description: 'The option, `<plugin>-<variant>`' },
    plugin: { type: 'string', enum: [...PLUGINS] },
    variant: { type: 'string' },
    name: { type: 'string' },
    score: { type: 'integer', minimum: 0, maximum: 100 },
    verdict: { type: 'string', enum: ['recommended', 'suitable', 'blocked'] },
    blockers: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          criterion: { type: 'string', description: 'The unmet need: a requirement name, density, podIpBudget, or maintenance (an archived project)' },
          reason: { type: 'string' },
        },
      },
    },
    criteria: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          criterion: { type: 'string' },
          weight: { type: 'number' },
          score: { type: 'number' },
          reason: { type: 'string' },
        },
      },
    },
    density: { type: 'object', additionalProperties: true },
    caveats: { type: 'array', items: { type: 'string' } },
    explanation: { type: 'string' },
    references: { type: 'array', items: { type: 'string' } },
  },
}

const answerSchema = {
  type: 'object',
  properties: {
    recommendation: { anyOf: [optionSchema, { type: 'null' }] },
    satisfiable: { type: 'boolean' },
    options: { type: 'array', items: optionSchema },
    summary: { type: 'string' },
    requirements: { type: 'object', additionalProperties: true },
    catalog: { type: 'object', additionalProperties: true },
  },
}

export async function recommendationRoutes(app: FastifyInstance): Promise<void> {
  // The answer depends on the requirements (parsed, with defaults: the canonical question) and the
  // catalog version; its price freshness holds over catalogStampValidity.
  const answers = app.ctx.answers
  const f = answers.freshness
  const render = (request: FastifyRequest, a: Asked, req: Requirements): KeptAnswer => {
    const key = `recommend:${JSON.stringify(req)}`
    const answer = (): RecommendationAnswer => recommendationAnswer(a.snap, req, f)
    const valid = catalogStampValidity(a.snap, req.region, f)
    if (!wantsCsv(request)) return jsonAnswer(a, key, answer, valid)
    return csvAnswer(a, key, 'recommendation.csv', () => toCsv(CSV_COLUMNS, answer().options.map((o, i) => ({ ...o, rank: i + 1 }))), valid)
  }

  const description =
    'Scores every CNI option against the requirements: `required` needs block an option (one blocker per unmet need), ' +
    'the rest are weighted criteria, each returned with its weight, score and reason. Options come best first.'

  app.post(
    '/v1/recommendations',
    {
      schema: {
        tags: ['recommendations'],
        summary: 'Which CNI to run, scored and explained (JSON; CSV with ?format=csv or Accept: text/csv)',
        description,
        body: bodySchema(REQUIREMENT_FIELDS),
        querystring: { type: 'object', properties: FORMAT_FIELD },
        response: { 200: answerSchema, 400: errorSchema, 404: errorSchema },
      },
    },
    async (request, reply) => {
      if (request.body === undefined || request.body === null) {
        throw new InputError('body', 'a JSON object of requirements is required (Content-Type: application/json); {} takes every default')
      }
      const a = answers.current()
      return sendAnswer(reply, a, render(request, a, parseRequirements(request.body, { textual: false })))
    },
  )

  app.get(
    '/v1/recommendations',
    {
      schema: {
        tags: ['recommendations'],
        summary: 'The same as POST, with the requirements as query parameters (for spreadsheets and links)',
        description,
        querystring: querySchema(REQUIREMENT_FIELDS, FORMAT_FIELD),
        response: { 200: answerSchema, 400: errorSchema, 404: errorSchema },
      },
    },
    async (request, reply) => {
      const a = answers.current()
      return sendAnswer(reply, a, render(request, a, parseRequirements(request.query, { textual: true, passThrough: ['format'] })))
    },
  )
}
