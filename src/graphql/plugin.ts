// The GraphQL door: schema.graphql is the schema served (read from the file, never written twice);
// resolvers only translate enum words and call the same answers as REST. Nested catalog fields go
// through loaders, so a list of instance types asks for prices and max pods in one batch per field.
import type { FastifyInstance } from 'fastify'
import mercurius, { type IResolvers, type MercuriusLoaders } from 'mercurius'
import { readFileSync } from 'node:fs'
import type { GraphQLError, GraphQLFormattedError } from 'graphql'
import {
  capacityPlanAnswer,
  catalogSummary,
  findInstanceType,
  listInstanceTypes,
  maxPodsAnswer,
} from '../answers/answers.js'
import { CAPACITY_FIELDS, INSTANCE_TYPES_FIELDS, MAX_PODS_FIELDS } from '../answers/inputs.js'
import { recommendationAnswer } from '../answers/recommendation.js'
import type { CatalogSnapshot } from '../catalog/snapshot.js'
import { parseFields } from '../domain/fields.js'
import { parseRequirements } from '../domain/requirements.js'
import { InputError, LEVEL_NEEDS, NotFoundError, type InstanceType } from '../domain/types.js'
import { checkAdminAuth, refreshErrorBody, refreshWithContext } from '../http/admin.js'
import { encodeKept, JSON_TYPE, sendBody } from '../http/cached.js'
import { GRAPHQL_SCHEMA_FILE } from '../paths.js'
import { queryLimitsRule } from './cost.js'

export const SCHEMA_SDL = readFileSync(GRAPHQL_SCHEMA_FILE, 'utf8')
export const MAX_QUERY_DEPTH = 16
export const MAX_QUERY_COST = 20_000

declare module 'mercurius' {
  interface MercuriusContext {
    /** The catalog version this request answers from, fixed for the whole request. */
    snap: CatalogSnapshot
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
    out[k] = enumFields.includes(k) ? fromEnum(v) : v
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
  else if (/query depth/.test(e.message)) fallback = 'QUERY_TOO_DEEP'
  const extensions = { ...((g.originalError as { extensions?: object } | undefined)?.extensions ?? {}), ...(g.extensions ?? {}) }
  return { message: e.message, locations: g.locations, path: g.path as GraphQLFormattedError['path'], extensions: { ...extensions, code: code ?? (extensions as { code?: string }).code ?? fallback } }
}

const REFRESH_CODES: Record<number, string> = { 409: 'REFRESH_IN_PROGRESS', 422: 'REFRESH_REFUSED', 502: 'AWS_UNAVAILABLE', 503: 'DATABASE_UNAVAILABLE' }

type Tagged = InstanceType & { __region: string }

export async function graphqlPlugin(app: FastifyInstance): Promise<void> {
  const freshness = () => ({ clock: app.ctx.clock, priceMaxAgeDays: app.ctx.config.priceMaxAgeDays })

  const resolvers: IResolvers = {
    Query: {
      instanceType: guard((_root, args: { name: string; region: string }, ctx: Ctx) => {
        const q = parseFields(INSTANCE_TYPES_FIELDS, { region: args.region }, { textual: false })
        return { ...findInstanceType(ctx.snap, args.name), __region: q.region }
      }),
      instanceTypes: guard((_root, args: { family?: string; region: string }, ctx: Ctx) => {
        const q = parseFields(INSTANCE_TYPES_FIELDS, restArgs(args, []), { textual: false })
        return listInstanceTypes(ctx.snap, q).map((t) => ({ ...t, __region: q.region }))
      }),
      maxPods: guard((_root, args: Record<string, unknown>, ctx: Ctx) => {
        const { instanceType, ...rest } = args
        const q = parseFields(MAX_PODS_FIELDS, restArgs(rest, ['mode']), { textual: false })
        return maxPodsAnswer(ctx.snap, String(instanceType), q, 'instanceType')
      }),
      recommend: guard((_root, args: { requirements: Record<string, unknown> }, ctx: Ctx) => {
        const raw = restArgs(args.requirements, ['performance', ...LEVEL_NEEDS])
        const req = parseRequirements(raw, { textual: false, fieldPrefix: 'requirements.' })
        return recommendationAnswer(ctx.snap, req, freshness())
      }),
      capacityPlan: guard((_root, args: { input: Record<string, unknown> }, ctx: Ctx) => {
        const q = parseFields(CAPACITY_FIELDS, restArgs(args.input, ['mode']), { textual: false, fieldPrefix: 'input.' })
        const plan = capacityPlanAnswer(ctx.snap, q, freshness())
        return { ...plan, totalPods: plan.input.totalPods, mode: plan.input.mode }
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
          const report = await refreshWithContext(app.ctx, args.regions ?? undefined, app.log)
          return {
            ...report,
            prices: { total: report.prices.total, byRegion: Object.entries(report.prices.byRegion).map(([region, count]) => ({ region, count })) },
            skipped: Object.entries(report.skipped).map(([reason, count]) => ({ reason, count })),
          }
        } catch (err) {
          const body = refreshErrorBody(err)
          if (body) throw new mercurius.ErrorWithProps(body.message, { code: REFRESH_CODES[body.statusCode] ?? 'REFRESH_FAILED' })
          return clientError(err)
        }
      },
    },
    // Enum-typed fields: the core speaks REST words, GraphQL shows enum names.
    MaxPods: { mode: (o: { mode: string }) => toEnum(o.mode) },
    Density: { mode: (o: { mode: string }) => toEnum(o.mode) },
    CniOption: { verdict: (o: { verdict: string }) => toEnum(o.verdict) },
    CapacityPlan: { mode: (o: { mode: string }) => toEnum(o.mode) },
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
      price: async (queries: Array<{ obj: Tagged; params: { region?: string | null } }>, ctx: Ctx) =>
        queries.map(({ obj, params }) => {
          const region = params.region ?? obj.__region
          const p = ctx.snap.price(region, obj.name)
          return p ? { region, usdPerHour: p.usdPerHour, source: p.source, asOf: p.asOf } : null
        }),
      maxPods: async (queries: Array<{ obj: Tagged; params: Record<string, unknown> }>, ctx: Ctx) =>
        queries.map(({ obj, params }) => {
          try {
            // The same answer as GET /v1/instance-types/{name}/max-pods and Query.maxPods.
            return maxPodsAnswer(ctx.snap, obj.name, parseFields(MAX_PODS_FIELDS, restArgs(params, ['mode']), { textual: false }))
          } catch (err) {
            // A loader answers per item: an Error in the array fails only that field.
            return err instanceof InputError
              ? new mercurius.ErrorWithProps(err.message, { code: 'BAD_USER_INPUT', field: err.field })
              : err
          }
        }),
    },
  }

  // Queries are pure functions of the document, the variables, the catalog version and the day (price
  // age): their finished responses are kept with the catalog version, like REST's. Only documents with
  // no mutation in them and answers without errors are kept.
  const DAY_MS = 86_400_000
  const pending = new WeakMap<object, { key: string; snap: CatalogSnapshot }>()
  app.addHook('preHandler', async (request, reply) => {
    const body = request.body as { query?: unknown; variables?: unknown; operationName?: unknown } | undefined
    if (request.method !== 'POST' || !body || typeof body.query !== 'string' || /\b(mutation|subscription)\b/.test(body.query)) return
    const snap = app.ctx.catalog.current()
    const day = Math.floor(app.ctx.clock().getTime() / DAY_MS)
    const key = `gql:${day}:${JSON.stringify([body.query, body.variables ?? null, body.operationName ?? null])}`
    const hit = snap.peekBody(key)
    if (hit) return sendBody(reply.type(JSON_TYPE), snap, hit)
    pending.set(request, { key, snap }) // kept with the version that answered, even if a newer one lands meanwhile
  })
  app.addHook('onSend', async (request, reply, payload) => {
    const p = pending.get(request)
    if (p && reply.statusCode === 200 && typeof payload === 'string' && !payload.includes('"errors"')) {
      // Kept, and sent as a kept answer is (gzipped when the client accepts it), from the first time on.
      return encodeKept(reply, p.snap, p.snap.keepBody(p.key, payload))
    }
    return payload
  })

  await app.register(mercurius, {
    schema: SCHEMA_SDL,
    resolvers,
    loaders,
    graphiql: false, // served by our own page, from local files (see routes/graphiql.ts)
    jit: 1,
    validationRules: [queryLimitsRule(MAX_QUERY_DEPTH, MAX_QUERY_COST)],
    context: (request) => ({ snap: app.ctx.catalog.current(), authorization: request.headers.authorization }),
    errorFormatter: (execution, context) => {
      const formatted = mercurius.defaultErrorFormatter(execution, context)
      const shaped: GraphQLFormattedError[] = []
      for (const e of execution.errors as GraphQLError[]) {
        const original = e.originalError as (Error & { extensions?: Record<string, unknown>; errors?: GraphQLError[] }) | undefined
        // Parse and validation failures arrive wrapped, several at once: they are the client's mistakes.
        if (original && Array.isArray(original.errors)) {
          for (const inner of original.errors) shaped.push(clientShape(inner, undefined))
          continue
        }
        const code = (e.extensions?.code ?? original?.extensions?.code) as string | undefined
        if (original && !(original instanceof mercurius.ErrorWithProps) && !code) {
          app.log.error({ err: original }, 'GraphQL resolver failed')
          shaped.push({ message: 'Internal error', locations: e.locations, path: e.path as GraphQLFormattedError['path'], extensions: { code: 'INTERNAL_SERVER_ERROR' } })
          continue
        }
        shaped.push(clientShape(e, code))
      }
      return { statusCode: formatted.statusCode, response: { data: formatted.response.data ?? null, errors: shaped } }
    },
  })
}
