import type { Db, Queryable } from '../db/db.js'
import { CATALOG_CHANNEL, currentVersion, Interner, pricesOf, readInstanceTypes, readPriceGroups, readStoragePrices } from './repository.js'
import { CatalogSnapshot } from './snapshot.js'

/**
 * The newest catalog version as a snapshot, read in the caller's transaction (so types and prices of
 * every kind belong to the same version), or null when there is none. Prices are read by group
 * (readPriceGroups) and their strings shared with the instance types' names: the snapshot of the whole
 * catalog holds one string per distinct region, name, source and date, and reading it allocates little
 * besides the snapshot itself.
 */
export async function readSnapshot(q: Queryable): Promise<CatalogSnapshot | null> {
  const version = await currentVersion(q)
  if (!version) return null
  const types = await readInstanceTypes(q)
  const interner = Interner.holding(types.map((t) => t.name))
  const groups = await readPriceGroups(q, interner)
  return new CatalogSnapshot(version, types, pricesOf(groups), await readStoragePrices(q))
}

export interface Logger {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

export interface CatalogStoreOptions {
  pollSeconds: number
  log: Logger
}

/**
 * Serves the catalog from memory and keeps it current: a notification on CATALOG_CHANNEL (sent by
 * the transaction that wrote a new version) triggers a reload within milliseconds; a periodic version
 * check catches what a lost notification missed. While the database is away the last snapshot stays.
 */
export class CatalogStore {
  private snapshot: CatalogSnapshot | null = null
  private timer: NodeJS.Timeout | null = null
  private unlisten: (() => Promise<void>) | null = null
  private loading: Promise<CatalogSnapshot | null> | null = null
  private lastError: string | null = null

  constructor(
    private readonly db: Db,
    private readonly opts: CatalogStoreOptions,
  ) {}

  async start(): Promise<void> {
    await this.reloadIfChanged()
    if (!this.snapshot) throw new Error('the catalog is empty: no catalog version in the database')
    this.unlisten = await this.db.listen(CATALOG_CHANNEL, () => void this.reloadIfChanged())
    this.timer = setInterval(() => void this.reloadIfChanged(), this.opts.pollSeconds * 1000)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.unlisten?.()
    this.unlisten = null
  }

  /** The snapshot every answer uses; throws before the first load (readiness keeps traffic away then). */
  current(): CatalogSnapshot {
    if (!this.snapshot) throw new Error('catalog not loaded yet')
    return this.snapshot
  }

  get loaded(): boolean {
    return this.snapshot !== null
  }

  get error(): string | null {
    return this.lastError
  }

  /** Reads the newest version; loads it when it differs from the one in memory. Calls in flight are shared. */
  reloadIfChanged(): Promise<CatalogSnapshot | null> {
    if (!this.loading) {
      this.loading = this.load().finally(() => {
        this.loading = null
      })
    }
    return this.loading
  }

  private async load(): Promise<CatalogSnapshot | null> {
    try {
      const version = await currentVersion(this.db)
      if (!version) return this.snapshot
      if (this.snapshot && this.snapshot.version === version.version) return this.snapshot
      // Read in one transaction so types and prices (of every kind) belong to the same version. The
      // snapshot in memory keeps answering meanwhile; it goes when the last request using it ends.
      const next = (await this.db.tx((q) => readSnapshot(q)))!
      const previous = this.snapshot?.version ?? null
      this.snapshot = next
      this.lastError = null
      this.opts.log.info({ catalogVersion: next.version, previous, instanceTypes: next.typeList.length }, 'catalog loaded')
      return next
    } catch (err) {
      this.lastError = (err as Error).message
      this.opts.log.warn({ err }, 'catalog reload failed; serving the catalog in memory')
      return this.snapshot
    }
  }
}
