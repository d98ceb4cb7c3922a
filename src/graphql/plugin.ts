// The GraphQL door: schema.graphql is the schema served (read from the file, never written twice);
// resolvers only translate enum words and call the same answers as REST. Nested catalog fields go
// through loaders, so a list of instance types asks for prices and max pods in one batch per field.
import type { FastifyInstance } from 'fastify'
import mercurius, { type IResolvers, type MercuriusLoaders } from 'mercurius'
import { readFileSync } from 'node:fs'
import { getOperationAST, GraphQLError, Kind, Location, parse, type DocumentNode, type GraphQLFormattedError } from 'graphql'
import {
  capacityPlanAnswer,
  catalogSummary,
  catalogValidity,
  findInstanceType,
  listInstanceTypes,
  maxPodsAnswer,
} from '../answers/answers.js'
import { CAPACITY_FIELDS, INSTANCE_TYPE_FIELDS, INSTANCE_TYPES_FIELDS, MAX_PODS_FIELDS, parseRequirements } from '../answers/inputs.js'
import { recommendationAnswer } from '../answers/recommendation.js'
import type { CatalogSnapshot } from '../catalog/snapshot.js'
import { isEksNode } from '../domain/density.js'
import { parseFields } from '../domain/fields.js'
import { InputError, LEVEL_NEEDS, NotFoundError, type InstanceType } from '../domain/types.js'
import { checkAdminAuth, refreshAndReload, refreshErrorBody, refreshErrorCode } from '../admin/index.js'
import { encodeKept, JSON_TYPE, sendAnswer, varyOn } from '../http/cached.js'
import { isUnchanged, setValidators, validatorsFor } from '../http/conditional.js'
import type { Asked, Validity } from '../answers/pipeline.js'
import { GRAPHQL_SCHEMA_FILE } from '../paths.js'
import { checkQueryLimits, type QueryLimits } from './cost.js'

export const SCHEMA_SDL = readFileSync(GRAPHQL_SCHEMA_FILE, 'utf8')
export const MAX_QUERY_DEPTH = 16
export const MAX_QUERY_COST = 20_000
/**
 * A document's text, at most: GraphiQL's introspection query is ~2 KiB and portal queries far less.
 * mercurius keeps parsed, validated and compiled documents by their text (an LRU of MERCURIUS_CACHE
 * entries, outside the answer cache's byte budget), so the text is what must be bounded: distinct 60 kB
 * documents grew a replica by 200 MiB a minute in the hostile soak.
 */
export const MAX_QUERY_BYTES = 16 * 1024
/** Documents mercurius keeps parsed and compiled (its default is 1,024): at most 256 × 16 KiB of text. */
export const MERCURIUS_CACHE = 256
/**
 * README "Limits". Depth: just above GraphiQL's own introspection query (15). Cost: about 20,000 answered
 * fields (14 of every catalog type, or a whole-catalog capacity plan with a dozen row fields); GraphiQL's
 * introspection query costs about half of it. Sizes: well above what a hand-written query or a generated
 * client sends (GraphiQL's introspection query: 8 spreads, no aliases, 72 fields), and low enough that
 * graphql-js's own validation, which compares fields and fragments pairwise, stays in milliseconds.
 */
export const QUERY_LIMITS: QueryLimits = {
  maxDepth: MAX_QUERY_DEPTH,
  maxCost: MAX_QUERY_COST,
  maxSpreads: 200,
  maxAliases: 100,
  maxFields: 250,
}

declare module 'mercurius' {
  interface MercuriusContext {
    /** The catalog version this request answers from, fixed for the whole request… */
    snap: CatalogSnapshot
    /** …as the answer pipeline sees it (what is kept for it). */
    asked: Asked
    authorization: string | undefined
  }
}
type Ctx = import('mercurius').MercuriusContext

/** REST words ↔ GraphQL enum names: prefix-delegation ↔ PREFIX_DELEGATION. */
export const toEnum = (word: string | null): string | null => (word === null ? null : word.toUpperCase().replace(/-/g, '_'))
export const fromEnum = (name: unknown): unknown => (typeof name === 'string' ? name.toLowerCase().replace(/_/g, '-') : name)

/** Turns GraphQL arguments into the field-table input: enum names back to REST words, absent = undefined. */
function restArgs(args: Record<string, unknown>, enumFields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(args)) {
    if (v === null || v === undefined) continue
    out[k] = !enumFields.includes(k) ? v : Array.isArray(v) ? v.map(fromEnum) : fromEnum(v)
  }
  return out
}

/** Domain errors become GraphQL errors with a code and the field, never a stack trace. */
function clientError(err: unknown): never {
  if (err instanceof InputError) {
    throw new mercurius.ErrorWithProps(err.message, { code: 'BAD_USER_INPUT', field: err.field })
  }
  if (err instanceof NotFoundError) {
    throw new mercurius.ErrorWithProps(err.message, { code: 'NOT_FOUND', field: err.field })
  }
  throw err
}

function guard<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return (...args: A) => {
    try {
      return fn(...args)
    } catch (err) {
      return clientError(err)
    }
  }
}

/** A client error as GraphQL shows it, with a code (parse, validation, argument value, depth, cost...). */
function clientShape(e: GraphQLError | Error, code: string | undefined): GraphQLFormattedError {
  const g = e as Partial<GraphQLError>
  let fallback = 'GRAPHQL_VALIDATION_FAILED'
  if (/^Syntax Error/.test(e.message)) fallback = 'GRAPHQL_PARSE_FAILED'
  else if (/got invalid value|Expected value of type|Expected type|cannot represent|was not provided|Enum .* has no value|does not exist in ".*" enum/i.test(e.message)) fallback = 'BAD_USER_INPUT'
  else if (/^(Unknown operation named|Must provide (an operation|operation name))/.test(e.message)) fallback = 'OPERATION_NAME_INVALID'
  else if (/query depth/.test(e.message)) fallback = 'QUERY_TOO_DEEP'
  const extensions = { ...((g.originalError as { extensions?: object } | undefined)?.extensions ?? {}), ...(g.extensions ?? {}) }
  return { message: e.message, locations: g.locations, path: g.path as GraphQLFormattedError['path'], extensions: { ...extensions, code: code ?? (extensions as { code?: string }).code ?? fallback } }
}

/** A whole request refused before it runs (mercurius shows `errors` one by one, as its own validation's). */
function refused(errors: GraphQLError[]): Error {
  return Object.assign(new Error(errors[0]?.message ?? 'GraphQL request refused'), { errors, statusCode: 400 })
}

const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 60)}…` : s)

/** The operationName the client sent (mercurius does not pass it to its hooks). */
function requestedOperation(context: Ctx): string | null | undefined {
  const request = context.reply?.request
  const from = (request?.method === 'GET' ? request.query : request?.body) as { operationName?: string | null } | undefined
  return from?.operationName
}

/** Why the document has no operation to run under that name (getOperationAST found none). */
function noOperation(document: DocumentNode, name: string | null | undefined): GraphQLError {
  const names = document.definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION ? [d.name?.value ?? '(anonymous)'] : []))
  const listed = names.slice(0, 10).join(', ') + (names.length > 10 ? ', …' : '')
  const message =
    names.length === 0
      ? 'the document has no operation to run'
      : name == null
        ? `the document has ${names.length} operations (${listed}): name the one to run in operationName`
        : `operationName "${clip(name)}" is not an operation of the document; it has ${listed}`
  return new GraphQLError(message, { extensions: { code: 'OPERATION_NAME_INVALID' } })
}

/**
 * The request itself was wrong before any GraphQL ran: fastify's and mercurius' own 4xx errors (no query,
 * a body that is not JSON or too big, URL variables that are not JSON) and the body parser's InputError.
 * They carry a status but no GraphQL code.
 */
function requestProblem(original: Error & { statusCode?: unknown; code?: unknown; field?: string }, context: Ctx): { status: number; error: GraphQLFormattedError } | null {
  // mercurius' GET route reads `.operation` of an operation it could not find: a TypeError, though
  // what the client got wrong is the name (POST requests are checked in the preExecution hook).
  if (original instanceof TypeError && context.reply?.request.method === 'GET' && typeof context.__currentQuery === 'string') {
    let document: DocumentNode
    try {
      document = parse(context.__currentQuery)
    } catch {
      return null
    }
    const name = requestedOperation(context)
    return getOperationAST(document, name) ? null : { status: 400, error: noOperation(document, name).toJSON() }
  }
  const status = original.statusCode
  if (typeof status !== 'number' || status < 400 || status >= 500) return null
  let message = original.message
  let code = ({ 405: 'METHOD_NOT_ALLOWED', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE' } as Record<number, string>)[status] ?? 'BAD_REQUEST'
  if (original.code === 'MER_ERR_GQL_PERSISTED_QUERY_NOT_FOUND') message = 'no query: send the GraphQL document as the string `query`, in the JSON body (POST) or the URL (GET)'
  else if (original instanceof SyntaxError) message = `variables and extensions in the URL must be JSON: ${original.message}`
  else if (status === 429) code = 'RATE_LIMITED' // (a limiter that throws, rather than answers itself)
  return { status, error: { message, extensions: { code, ...(original.field ? { field: original.field } : {}) } } }
}


/**
 * The question a GraphQL request asks, as its kept answer's key: the document, its variables (parsed:
 * a GET's JSON text and a POST's object give one key) and the operation name. Null for what is not kept:
 * a document that may mutate, and a request mercurius will refuse (no query, variables that are not JSON).
 */
function questionOf(byUrl: boolean, from: unknown): [string, unknown, unknown] | null {
  const r = from as { query?: unknown; variables?: unknown; operationName?: unknown } | undefined
  if (!r || typeof r.query !== 'string' || /\b(mutation|subscription)\b/.test(r.query)) return null
  let variables = r.variables ?? null
  if (byUrl && typeof variables === 'string') {
    try {
      variables = JSON.parse(variables)
    } catch {
      return null
    }
  }
  return [r.query, variables, r.operationName ?? null]
}

type Tagged = InstanceType & { __region: string }

export async function graphqlPlugin(app: FastifyInstance): Promise<void> {
  const freshness = () => app.ctx.answers.freshness

  const resolvers: IResolvers = {
    Query: {
      instanceType: guard((_root, args: { name: string; region: string }, ctx: Ctx) => {
        const q = parseFields(INSTANCE_TYPES_FIELDS, { region: args.region }, { textual: false })
        return { ...findInstanceType(ctx.snap, args.name), __region: q.region }
      }),
      instanceTypes: guard((_root, args: Record<string, unknown>, ctx: Ctx) => {
        const q = parseFields(INSTANCE_TYPES_FIELDS, restArgs(args, ['arch']), { textual: false })
        return listInstanceTypes(ctx.asked, q).map((t) => ({ ...t, __region: q.region }))
      }),
      maxPods: guard((_root, args: Record<string, unknown>, ctx: Ctx) => {
        const { instanceType, ...rest } = args
        const q = parseFields(MAX_PODS_FIELDS, restArgs(rest, ['mode', 'os']), { textual: false })
        return maxPodsAnswer(ctx.asked, String(instanceType), q, 'instanceType')
      }),
      recommend: guard((_root, args: { requirements: Record<string, unknown> }, ctx: Ctx) => {
        const raw = restArgs(args.requirements, ['performance', ...LEVEL_NEEDS])
        const req = parseRequirements(raw, { textual: false, fieldPrefix: 'requirements.' })
        return recommendationAnswer(ctx.snap, req, freshness())
      }),
      capacityPlan: guard((_root, args: { input: Record<string, unknown> }, ctx: Ctx) => {
        const q = parseFields(CAPACITY_FIELDS, restArgs(args.input, ['mode', 'modes', 'os', 'arch']), { textual: false, fieldPrefix: 'input.' })
        const plan = capacityPlanAnswer(ctx.snap, q, freshness())
        return { ...plan, totalPods: plan.input.totalPods, mode: plan.input.mode, podsPerNode: plan.input.podsPerNode }
      }),
      catalog: (_root, _args, ctx: Ctx) => catalogSummary(ctx.snap, freshness()),
    },
    Mutation: {
      // The same door as POST /v1/admin/refresh: the same token check, the same run, the same report.
      refreshCatalog: async (_root, args: { regions?: string[] | null }, ctx: Ctx) => {
        const auth = checkAdminAuth(app.ctx.config.adminToken, ctx.authorization)
        if (!auth.ok) {
          throw new mercurius.ErrorWithProps(auth.message, { code: auth.statusCode === 503 ? 'NOT_CONFIGURED' : 'UNAUTHENTICATED' })
        }
        try {
          const report = await refreshAndReload(app.ctx, args.regions ?? undefined, app.log)
          return {
            ...report,
            prices: { total: report.prices.total, byRegion: Object.entries(report.prices.byRegion).map(([region, count]) => ({ region, count })), droppedWithTypes: report.prices.droppedWithTypes.total },
            skipped: Object.entries(report.skipped).map(([reason, count]) => ({ reason, count })),
          }
        } catch (err) {
          const body = refreshErrorBody(err)
          if (body) throw new mercurius.ErrorWithProps(body.message, { code: refreshErrorCode(err) ?? 'REFRESH_FAILED' })
          return clientError(err)
        }
      },
    },
    // Enum-typed fields: the core speaks REST words, GraphQL shows enum names.
    MaxPods: { mode: (o: { mode: string }) => toEnum(o.mode), os: (o: { os: string }) => toEnum(o.os) },
    InstanceType: { eksNode: (o: InstanceType) => isEksNode(o) },
    Density: { mode: (o: { mode: string }) => toEnum(o.mode) },
    NodeMaxPods: { mode: (o: { mode: string }) => toEnum(o.mode) },
    CniOption: { verdict: (o: { verdict: string }) => toEnum(o.verdict) },
    CapacityPlan: { mode: (o: { mode: string }) => toEnum(o.mode), modes: (o: { modes: string[] }) => o.modes.map(toEnum) },
    TypeFilters: { arch: (o: { arch: string | null }) => toEnum(o.arch) },
    PlanPricing: { ranking: (o: { ranking: string }) => toEnum(o.ranking) },
    CapacityRow: {
      mode: (o: { mode: string }) => toEnum(o.mode),
      limitedBy: (o: { limitedBy: string | null }) => toEnum(o.limitedBy),
    },
    Requirements: Object.fromEntries(
      ['performance', ...LEVEL_NEEDS].map((k) => [k, (o: Record<string, string>) => toEnum(o[k] ?? null)]),
    ),
  }

  const loaders: MercuriusLoaders = {
    InstanceType: {
      price: async (queries: Array<{ obj: Tagged; params: { region?: string | null; capacityType?: string | null } }>, ctx: Ctx) =>
        queries.map(({ obj, params }) => {
          const region = params.region ?? obj.__region
          // The same field table as REST's ?capacityType=, so a bad value gets the same message.
          const { capacityType } = parseFields(INSTANCE_TYPE_FIELDS, { capacityType: params.capacityType ?? undefined }, { textual: false })
          const p = ctx.snap.price(region, obj.name, capacityType)
          return p ? { region, capacityType, usdPerHour: p.usdPerHour, source: p.source, asOf: p.asOf } : null
        }),
      maxPods: async (queries: Array<{ obj: Tagged; params: Record<string, unknown> }>, ctx: Ctx) =>
        queries.map(({ obj, params }) => {
          try {
            // The same answer as GET /v1/instance-types/{name}/max-pods and Query.maxPods.
            return maxPodsAnswer(ctx.asked, obj.name, parseFields(MAX_PODS_FIELDS, restArgs(params, ['mode', 'os']), { textual: false }))
          } catch (err) {
            // A loader answers per item: an Error in the array fails only that field.
            return err instanceof InputError
              ? new mercurius.ErrorWithProps(err.message, { code: 'BAD_USER_INPUT', field: err.field })
              : err
          }
        }),
    },
  }

  // Queries are pure functions of the document, the variables and the catalog version, except for price
  // freshness, which holds over catalogValidity (every region's stamp, as REST's catalogStampValidity):
  // their finished responses are kept in the answer pipeline's one cache, counted with their key (the
  // document text). Only documents with no mutation in them and answers without errors are kept.
  // A GET query (the query, variables and operationName in the URL) is the same question as its POST and
  // shares its kept answer; it is also answered conditionally (src/http/conditional.ts): a client or cache
  // that sends the ETag of an answer that still holds gets a 304, without the query being run.
  const pending = new WeakMap<object, { key: string; asked: Asked; valid: Validity }>()
  app.addHook('preHandler', async (request, reply) => {
    const byUrl = request.method === 'GET' || request.method === 'HEAD'
    const asking = questionOf(byUrl, byUrl ? request.query : request.body)
    if (asking === null) return
    const asked = app.ctx.answers.current()
    const key = `gql:${JSON.stringify(asking)}`
    const hit = asked.peek(key)
    if (hit) return sendAnswer(reply, asked, { key, rendered: hit })
    const valid = catalogValidity(asked.snap, freshness())
    if (byUrl) {
      const now = app.ctx.answers.now()
      const v = validatorsFor(app.ctx.config, asked.snap, key, valid, now)
      if (isUnchanged(request, v)) {
        setValidators(reply, v, app.ctx.config, now)
        varyOn(reply, 'accept-encoding')
        return reply.code(304).send()
      }
    }
    pending.set(request, { key, asked, valid }) // kept with the version that answered, even if a newer one lands meanwhile
  })
  app.addHook('onSend', async (request, reply, payload) => {
    const p = pending.get(request)
    if (p && reply.statusCode === 200 && typeof payload === 'string' && !payload.includes('"errors"')) {
      // Kept, and sent as a kept answer is (gzipped when the client accepts it), from the first time on.
      const rendered = p.asked.keep(p.key, { body: Buffer.from(payload, 'utf8'), type: JSON_TYPE, disposition: null, valid: p.valid })
      if (request.method === 'GET' || request.method === 'HEAD') {
        const now = app.ctx.answers.now()
        setValidators(reply, validatorsFor(app.ctx.config, p.asked.snap, p.key, p.valid, now), app.ctx.config, now)
      }
      return encodeKept(reply, p.asked, { key: p.key, rendered })
    }
    return payload
  })

  await app.register(mercurius, {
    schema: SCHEMA_SDL,
    resolvers,
    loaders,
    graphiql: false, // served by our own page, from local files (see routes/graphiql.ts)
    jit: 1,
    cache: MERCURIUS_CACHE,
    context: (request) => {
      const asked = app.ctx.answers.current()
      return { snap: asked.snap, asked, authorization: request.headers.authorization }
    },
    errorFormatter: (execution, context) => {
      const ctx = context as Ctx
      const shaped: GraphQLFormattedError[] = []
      let statusCode = 200
      let internal = 0
      for (const e of execution.errors as GraphQLError[]) {
        const original = e.originalError as (Error & { extensions?: Record<string, unknown>; errors?: GraphQLError[]; statusCode?: number; code?: string }) | undefined
        // Parse and validation failures arrive wrapped, several at once, as do the hooks' refusals: they
        // are the client's mistakes, and the whole request is refused.
        if (original && Array.isArray(original.errors)) {
          // (fastify's schema check of the body or URL, and mercurius' refusal of a mutation over GET, are
          // about the request, not the document)
          const requestCode = original.code === 'MER_ERR_METHOD_NOT_ALLOWED' ? 'METHOD_NOT_ALLOWED' : undefined
          for (const inner of original.errors) shaped.push(clientShape(inner, requestCode ?? ('validation' in inner ? 'BAD_REQUEST' : undefined)))
          statusCode = Math.max(statusCode, original.statusCode ?? 400)
          continue
        }
        const code = (e.extensions?.code ?? original?.extensions?.code) as string | undefined
        if (original && !(original instanceof mercurius.ErrorWithProps) && !code) {
          const problem = requestProblem(original, ctx)
          if (problem) {
            shaped.push(problem.error)
            statusCode = Math.max(statusCode, problem.status)
            continue
          }
          internal++
          ctx.reply?.log.error({ err: original }, 'GraphQL resolver failed')
          shaped.push({ message: 'Internal error', locations: e.locations, path: e.path as GraphQLFormattedError['path'], extensions: { code: 'INTERNAL_SERVER_ERROR' } })
          continue
        }
        // Resolver errors answer beside the data (200), as GraphQL does.
        shaped.push(clientShape(e, code))
      }
      if (shaped.length > internal) {
        // The client's mistakes: one line, no stack, as REST's "request rejected".
        const codes = [...new Set(shaped.map((s) => s.extensions?.code as string))]
        const msg = statusCode >= 400 ? 'GraphQL request rejected' : 'GraphQL answered with client errors'
        ;(ctx.reply?.log ?? app.log).info({ statusCode, codes, reason: shaped[0]!.message }, msg)
      }
      return { statusCode, response: { data: execution.data ?? null, errors: shaped } }
    },
  })

  // Before graphql-js validates: a document too big for its pairwise checks is refused here first. Only
  // documents mercurius has not validated before reach this hook (it keeps validated ones by their text),
  // so variables are never known to the cost (cost.ts counts a variable as its largest value).
  // Before parsing: a document longer than MAX_QUERY_BYTES costs parse work and memory in mercurius' own
  // caches whatever it asks, so it is refused by its length alone.
  app.graphql.addHook('preParsing', (_schema, source) => {
    if (source.length > MAX_QUERY_BYTES) {
      throw refused([
        new GraphQLError(`the query text is ${source.length} characters; at most ${MAX_QUERY_BYTES} are accepted (send variables for large inputs)`, {
          extensions: { code: 'QUERY_TOO_LARGE', length: source.length, maxLength: MAX_QUERY_BYTES },
        }),
      ])
    }
  })

  app.graphql.addHook('preValidation', (schema, document, context) => {
    // A text that does not parse is tried as a JSON AST by mercurius ({"query": 1} arrives as "1"); this
    // service takes GraphQL text only, so the client gets the parse error.
    if (typeof context.__currentQuery === 'string' && !(document.loc instanceof Location)) {
      let error = new GraphQLError('query must be a GraphQL document', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })
      try {
        parse(context.__currentQuery)
      } catch (syntaxError) {
        if (syntaxError instanceof GraphQLError) error = syntaxError
      }
      throw refused([error])
    }
    const errors = checkQueryLimits(schema, document, QUERY_LIMITS, { catalog: () => app.ctx.catalog.current() })
    if (errors.length > 0) throw refused(errors)
  })

  app.graphql.addHook('preExecution', (_schema, document, context) => {
    if (!context.reply) return
    const name = requestedOperation(context)
    const chosen = getOperationAST(document, name)
    if (!chosen) throw refused([noOperation(document, name)])
    // mercurius compiles a document with graphql-jit once, for the operation of the request that happened
    // to compile it, and then runs that one whatever operationName says. A document of several operations
    // is run as the one asked for alone, which mercurius never compiles.
    if (document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d !== chosen)) {
      return { document: { ...document, definitions: document.definitions.filter((d) => d.kind !== Kind.OPERATION_DEFINITION || d === chosen) } }
    }
  })
}
