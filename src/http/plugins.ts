// The cross-cutting pieces as named plugins that declare what they need: fastify checks the order at
// start-up ("The dependency 'cni-security' of plugin 'cni-metrics' is not registered"), so a reordering
// in app.ts fails loudly instead of 404s silently losing their headers and rate limit.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { AppContext } from './context.js'
import { registerErrorHandling } from './errors.js'
import { documentedOnly } from './input.js'
import { registerJsonBodyParser } from './json-body.js'
import { registerMetrics } from './metrics.js'

/** app.ctx: what every door needs (config, database, catalog, answer pipeline, clock). */
export const contextPlugin = fp(
  async (app: FastifyInstance, opts: { ctx: AppContext }) => {
    app.decorate('ctx', opts.ctx)
  },
  { name: 'cni-context', fastify: '5.x' },
)

/** Request counts and durations per route: its onRoute hook must see every route, and the policy's hooks first. */
export const metricsPlugin = fp(
  async (app: FastifyInstance) => {
    registerMetrics(app, app.ctx)
  },
  { name: 'cni-metrics', fastify: '5.x', dependencies: ['cni-context', 'cni-security'] },
)

/** The error shape for every error, and the request policy for paths no route matched. */
export const errorsPlugin = fp(
  async (app: FastifyInstance) => {
    registerErrorHandling(app)
  },
  { name: 'cni-errors', fastify: '5.x', dependencies: ['cni-security', 'cni-metrics'] },
)

/** JSON bodies behind a depth check, keeping the raw text. */
export const bodyParsersPlugin = fp(
  async (app: FastifyInstance) => {
    registerJsonBodyParser(app)
  },
  { name: 'cni-body-parsers', fastify: '5.x' },
)

/**
 * The doors whose inputs are field tables (src/answers/inputs.ts): their route
 * schemas document the inputs in OpenAPI, and the tables' own parser validates them, so fastify's schema
 * validation is switched off once here for all of them, not route by route.
 */
export const fieldTableDoors = (doors: ReadonlyArray<(app: FastifyInstance) => Promise<void>>) =>
  fp(
    async (app: FastifyInstance) => {
      app.setValidatorCompiler(documentedOnly)
      for (const door of doors) await app.register(door)
    },
    { name: 'cni-field-table-doors', fastify: '5.x', encapsulate: true, dependencies: ['cni-context', 'cni-security', 'cni-errors', 'cni-body-parsers'] },
  )
