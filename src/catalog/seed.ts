import { readFile } from 'node:fs/promises'
import { ADVISORY_LOCKS, type Db } from '../db/db.js'
import type { InstanceType, Price, StoragePrice } from '../domain/types.js'
import { currentVersion, replaceCatalog } from './repository.js'

/** The committed seed (seed/catalog.json), built from the fact tables by `npm run seed:build`. */
export interface SeedFile {
  asOf: string
  generatedFrom: Record<string, { rows: number; source: string }>
  instanceTypes: InstanceType[]
  /** On-demand prices only: the shared tables have no spot or reserved ones (a refresh brings them). */
  prices: Price[]
  /** gp3 per GB-month (us-east-1's); absent in seeds built before issue 20. */
  storagePrices?: StoragePrice[]
}

export async function readSeed(path: string): Promise<SeedFile> {
  const seed = JSON.parse(await readFile(path, 'utf8')) as SeedFile
  if (!Array.isArray(seed.instanceTypes) || seed.instanceTypes.length === 0 || !Array.isArray(seed.prices)) {
    throw new Error(`${path} is not a catalog seed (instanceTypes[] and prices[] expected); rebuild it with npm run seed:build`)
  }
  return seed
}

/**
 * Loads the seed when the database has no catalog yet. Racing replicas serialise on the catalog-write
 * lock inside replaceCatalog and re-check after it, so the seed lands once.
 */
export async function ensureSeeded(db: Db, source: SeedFile | (() => Promise<SeedFile>)): Promise<number | null> {
  if (await currentVersion(db)) return null
  // Read (a 1 MB file) only when the catalog is empty: every later start skips it.
  const seed = typeof source === 'function' ? await source() : source
  return db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCKS.catalogWrite])
    if (await currentVersion(q)) return null // another replica seeded while we waited for the lock
    return replaceCatalog(q, {
      source: 'seed',
      note: `seed as of ${seed.asOf}`,
      instanceTypes: seed.instanceTypes.map((it) => ({ ...it, source: 'seed' })),
      prices: { regions: [...new Set(seed.prices.map((p) => p.region))], rows: seed.prices },
      storagePrices: { regions: [...new Set((seed.storagePrices ?? []).map((p) => p.region))], rows: seed.storagePrices ?? [] },
    })
  })
}
