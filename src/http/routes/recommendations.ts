import type { FastifyInstance, FastifyRequest } from 'fastify'
import { FORMAT_FIELD, parseRequirements, REQUIREMENT_FIELDS } from '../../answers/inputs.js'
import { recommendationAnswer, type RecommendationAnswer } from '../../answers/recommendation.js'
import { InputError, type Requirements } from '../../domain/types.js'
import type { CatalogSnapshot } from '../../catalog/snapshot.js'
import { TABLE_PARAMS, tableAnswer, wantsTable } from '../csv.js'
import { RECOMMENDATION_TABLE } from '../tables.js'
import { catalogStamp, catalogStampValidity } from '../../answers/answers.js'
import { jsonAnswer, sendAnswer, type KeptAnswer } from '../cached.js'
import type { Asked } from '../../answers/pipeline.js'
import { querySchema } from '../input.js'
import { answerResponse, errorResponses, NOT_MODIFIED, ref } from '../schemas.js'

/** The CSV and workbook columns (src/http/tables.ts). */
export const CSV_COLUMNS = RECOMMENDATION_TABLE.columns

export async function recommendationRoutes(app: FastifyInstance): Promise<void> {
  // The answer depends on the requirements (parsed, with defaults: the canonical question) and the
  // catalog version; its price freshness holds over catalogStampValidity.
  const answers = app.ctx.answers
  const f = answers.freshness
  const render = (request: FastifyRequest, a: Asked, req: Requirements): KeptAnswer | Promise<KeptAnswer> => {
    const key = `recommend:${JSON.stringify(req)}`
    const answer = (): RecommendationAnswer => recommendationAnswer(a.snap, req, f)
    const valid = catalogStampValidity(a.snap, req.region, f)
    if (!wantsTable(request)) return jsonAnswer(a, key, answer, valid)
    return tableAnswer(request, a, key, RECOMMENDATION_TABLE, () => answer().options.map((o, i) => ({ ...o, rank: i + 1 })), valid)
  }

  const description =
    'Scores every CNI option against the requirements: `required` needs block an option (one blocker per unmet need), ' +
    'the rest are weighted criteria, each returned with its weight, score and reason. Options come best first.'

  app.post(
    '/v1/recommendations',
    {
      schema: {
        operationId: 'recommend',
        tags: ['recommendations'],
        summary: 'Which CNI to run, scored and explained (JSON; CSV with ?format=csv or Accept: text/csv)',
        description,
        body: { allOf: [ref('Requirements')] },
        querystring: { type: 'object', properties: FORMAT_FIELD },
        response: { 200: answerResponse('Recommendation', 'Every option scored, best first (the example shows the first 3)', { spreadsheet: CSV_COLUMNS, conditional: false }), ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      if (request.body === undefined || request.body === null) {
        throw new InputError('body', 'a JSON object of requirements is required (Content-Type: application/json); {} takes every default')
      }
      const a = answers.current()
      return sendAnswer(reply, a, await render(request, a, parseRequirements(request.body, { textual: false })))
    },
  )

  app.get(
    '/v1/recommendations',
    {
      schema: {
        operationId: 'getRecommendation',
        tags: ['recommendations'],
        summary: 'The same as POST, with the requirements as query parameters (for spreadsheets and links)',
        description,
        querystring: querySchema(REQUIREMENT_FIELDS, FORMAT_FIELD),
        response: { 200: answerResponse('Recommendation', 'Every option scored, best first (the example shows the first 3)', { spreadsheet: CSV_COLUMNS }), 304: NOT_MODIFIED, ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      const a = answers.current()
      return sendAnswer(reply, a, await render(request, a, parseRequirements(request.query, { textual: true, passThrough: TABLE_PARAMS })))
    },
  )
}
