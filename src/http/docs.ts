// The OpenAPI document at /docs/json, built by @fastify/swagger from the route schemas, made fit for
// client generators: named shapes (schemas.ts), an operationId on every operation (the route schemas),
// the errors every route can answer whatever its own schema says (the URL cap, the rate limit, the body
// limit: src/http/security.ts and app.ts apply them to every route, so they are documented here, once),
// the GraphQL door (mercurius' routes carry no documentation of their own), a bearer scheme for the
// admin routes, and an example on every request and answer (examples.ts).
import type { SwaggerOptions } from '@fastify/swagger'
import type { FastifySchema, RouteOptions } from 'fastify'
import { applyExamples, type Examples, type OpenApiDocument } from './examples.js'
import { MAX_PARAM_LENGTH } from './errors.js'
import { ADMIN_SECURITY, CACHE_HEADERS, errorResponse, NOT_MODIFIED, ref } from './schemas.js'
import { MAX_URL_LENGTH } from './security.js'

const GRAPHQL_SHAPES = {
  GraphQLRequest: {
    type: 'object',
    description: 'A GraphQL request (https://graphql.org/learn/serving-over-http/); the schema is at /graphiql and in schema.graphql',
    properties: {
      query: { type: 'string', maxLength: 16 * 1024, description: 'The GraphQL document, at most 16 KiB (send variables for large inputs)' },
      variables: { type: ['object', 'null'], additionalProperties: true },
      operationName: { type: ['string', 'null'], description: 'Which operation of the document to run' },
    },
    required: ['query'],
  },
  GraphQLError: {
    type: 'object',
    properties: {
      message: { type: 'string' },
      locations: { type: 'array', items: { type: 'object', properties: { line: { type: 'integer' }, column: { type: 'integer' } } } },
      path: { type: 'array', items: { type: 'string' }, description: 'Field names and list indexes' },
      extensions: {
        type: 'object',
        additionalProperties: true,
        properties: {
          code: { type: 'string', description: 'BAD_USER_INPUT, NOT_FOUND, GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, QUERY_TOO_DEEP, QUERY_TOO_COSTLY, QUERY_TOO_LARGE, UNAUTHENTICATED …' },
          field: { type: 'string' },
        },
      },
    },
    required: ['message'],
  },
  GraphQLResponse: {
    type: 'object',
    properties: {
      data: { type: ['object', 'null'], additionalProperties: true, description: 'What the query asked for, shaped as the query' },
      errors: { type: 'array', items: { $ref: 'GraphQLError#' } },
    },
  },
} as const

/** Shapes only the document uses (no route serialises with them): added with the shared ones (app.ts). */
export const DOC_ONLY_SCHEMAS: Record<string, object> = GRAPHQL_SHAPES

const graphqlAnswer = (description: string) => ({ description, content: { 'application/json': { schema: ref('GraphQLResponse') } } })

const GRAPHQL_DESCRIPTION =
  'Every question of the REST routes as one typed GraphQL schema (schema.graphql; try it at /graphiql). Queries are ' +
  'bounded: at most 16 KiB of text, depth 16, an estimated cost of 20,000 fields. Errors in resolvers answer 200 beside ' +
  'the data; a request refused as a whole (syntax, validation, limits) answers 400 with `errors` only.'

/** The documentation of mercurius' two routes, in place of the bare schemas it validates with. */
const GRAPHQL_ROUTES: Record<'GET' | 'POST', FastifySchema & Record<string, unknown>> = {
  GET: {
    operationId: 'graphqlQuery',
    tags: ['graphql'],
    summary: 'Run a GraphQL query given in the URL (queries only; cached by HTTP caches and answered 304 when unchanged)',
    description: GRAPHQL_DESCRIPTION,
    querystring: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'The GraphQL document (a query; mutations need POST)' },
        variables: { type: 'string', description: 'The variables as a JSON object' },
        operationName: { type: 'string', description: 'Which operation of the document to run' },
      },
      required: ['query'],
    },
    response: {
      200: { ...graphqlAnswer('The answer: `data`, and `errors` for fields that failed'), headers: CACHE_HEADERS },
      304: NOT_MODIFIED,
      400: graphqlAnswer('The request was refused as a whole: `errors` says why (with a code)'),
      405: graphqlAnswer('A mutation sent by GET'),
    },
  },
  POST: {
    operationId: 'graphql',
    tags: ['graphql'],
    summary: 'Run a GraphQL query or mutation (refreshCatalog needs the admin bearer token)',
    description: GRAPHQL_DESCRIPTION,
    security: [{}, ...ADMIN_SECURITY],
    body: { allOf: [ref('GraphQLRequest')] },
    response: {
      200: graphqlAnswer('The answer: `data`, and `errors` for fields that failed'),
      400: graphqlAnswer('The request was refused as a whole: `errors` says why (with a code)'),
    },
  },
}

type Responses = Record<string, object>

/**
 * The errors a route can answer because of what every route passes through: the URL cap (414), the
 * rate limit (429, with Retry-After), and for a body the body limit (413) and its media type (415).
 */
function policyResponses(route: RouteOptions, has: Responses): Responses {
  const out: Responses = {}
  out[414] = errorResponse(414, `URI Too Long: the URL is over ${MAX_URL_LENGTH} characters${route.url.includes(':') ? `, or a name in the path over ${MAX_PARAM_LENGTH}` : ''}`)
  if (route.config?.rateLimit !== false) {
    out[429] = {
      ...errorResponse(429),
      headers: {
        'retry-after': { type: 'integer', description: 'Seconds until the window ends' },
        'x-ratelimit-limit': { type: 'integer', description: 'RATE_LIMIT_MAX' },
        'x-ratelimit-remaining': { type: 'integer' },
        'x-ratelimit-reset': { type: 'integer', description: 'Seconds until the window ends' },
      },
    }
  }
  if (route.method === 'POST') {
    const limit = route.url.startsWith('/slack/') ? '64 KiB' : '256 KiB'
    out[413] = errorResponse(413, `Payload Too Large: the body is over ${limit}`)
    out[415] = errorResponse(415)
  }
  for (const status of Object.keys(has)) delete out[status]
  return out
}

/** @fastify/swagger's transform: the route schema as documented. */
function documentRoute({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }): { schema: FastifySchema; url: string } {
  const method = (Array.isArray(route.method) ? route.method[0] : route.method) as string
  let documented = schema
  if (url === '/graphql' && (method === 'GET' || method === 'POST')) documented = GRAPHQL_ROUTES[method]
  if (!documented || (documented as { hide?: boolean }).hide) return { schema: documented, url }
  const response = (documented.response ?? {}) as Responses
  return { schema: { ...documented, response: { ...response, ...policyResponses(route, response) } }, url }
}

export function swaggerOptions(opts: { publicUrl: string; examples: () => Examples }): SwaggerOptions {
  return {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'cni-advisor',
        version: '1',
        description:
          'Pods per node, VPC IPs, cost and the CNI to run on Amazon EKS. Every number carries its formula and sources. ' +
          'Answers to GET requests carry ETag, Last-Modified and Cache-Control, and a conditional GET (If-None-Match, ' +
          'If-Modified-Since) of an unchanged answer is a 304.',
      },
      // Where the service says it is (PUBLIC_URL); a generated client takes its base URL from here.
      servers: [{ url: opts.publicUrl, description: 'PUBLIC_URL' }],
      tags: [
        { name: 'instance types', description: 'The catalog of EC2 network limits and prices, and max pods' },
        { name: 'capacity', description: 'Nodes, VPC IPs and dollars for a workload' },
        { name: 'recommendations', description: 'Which CNI to run, scored and explained' },
        { name: 'catalog', description: 'Catalog version, freshness and refresh' },
        { name: 'health', description: 'Liveness, readiness and metrics' },
        { name: 'slack', description: 'The /cni slash command (signed Slack requests only)' },
        { name: 'charts', description: 'Charts of the same answers, for Slack messages and the portal' },
        { name: 'graphql', description: 'The same questions as one GraphQL schema' },
      ],
      components: {
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer', description: 'The ADMIN_TOKEN the service is configured with' },
        },
      },
      // The answers are public; the admin routes say otherwise themselves.
      security: [],
    },
    // Named shapes keep their names (the default would be def-0, def-1…).
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transform: documentRoute as NonNullable<Extract<SwaggerOptions, { transform?: unknown }>['transform']>,
    transformObject: (document) => ('openapiObject' in document ? applyExamples(document.openapiObject as OpenApiDocument, opts.examples()) : document.swaggerObject),
  }
}
