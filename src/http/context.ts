import type { AnswerPipeline } from '../answers/pipeline.js'
import type { Config } from '../config.js'
import type { RefreshDeps } from '../catalog/refresh.js'
import type { CatalogStore } from '../catalog/store.js'
import type { Db } from '../db/db.js'

/** What every door needs, passed in by the app factory (no module-level singletons). */
export interface AppContext {
  config: Config
  db: Db
  catalog: CatalogStore
  /** The one answer pipeline every door asks (src/answers/pipeline.ts), with the one cache. */
  answers: AnswerPipeline
  clock: () => Date
  /** How catalog refreshes reach AWS (injectable for tests); empty = the real SDK clients. */
  refresh?: RefreshDeps
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext
  }
}
