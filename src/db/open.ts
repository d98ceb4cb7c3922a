import type { Config } from '../config.js'
import type { Db } from './db.js'
import { openPglite } from './pglite.js'
import { openPostgres } from './postgres.js'

/** node-postgres when DATABASE_URL is set, the embedded PGlite otherwise. */
export async function openDb(config: Pick<Config, 'databaseUrl' | 'dataDir'>, onError?: (err: Error) => void): Promise<Db> {
  if (config.databaseUrl) return openPostgres({ connectionString: config.databaseUrl, onError })
  return openPglite(config.dataDir)
}
