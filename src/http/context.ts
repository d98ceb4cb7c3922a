import type { Config } from '../config.js'
import type { CatalogStore } from '../catalog/store.js'
import type { Db } from '../db/db.js'

/** What every door needs, passed in by the app factory (no module-level singletons). */
export interface AppContext {
  config: Config
  db: Db
  catalog: CatalogStore
  clock: () => Date
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext
  }
}
