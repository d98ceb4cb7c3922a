import { constants, gzipSync } from 'node:zlib'
import type { InstanceType, Price } from '../domain/types.js'
import type { CatalogVersion } from './repository.js'

export interface RegionPrices {
  region: string
  prices: number
  /** The oldest as-of among the region's prices: how old "the prices" are at worst. */
  oldestAsOf: string
  newestAsOf: string
  sources: string[]
}

/**
 * One immutable catalog version in memory. Every answer is computed from a snapshot, never from the
 * database, so the hot path does no I/O and a refresh swaps the whole thing at once.
 */
export class CatalogSnapshot {
  readonly version: number
  readonly createdAt: string
  readonly source: string
  readonly types: ReadonlyMap<string, InstanceType>
  /** Sorted by name. */
  readonly typeList: readonly InstanceType[]
  readonly regions: readonly RegionPrices[]
  private readonly prices: ReadonlyMap<string, ReadonlyMap<string, Price>>
  private readonly memo = new BoundedCache<unknown>(20_000, () => 1)
  private readonly bodies = new BoundedCache<Buffer>(64 * 1024 * 1024, (b) => b.length)
  private readonly gzips = new WeakMap<Buffer, Buffer>()
  /** Answers by the request that asked (http/kept.ts); bounded by their keys' size. */
  private readonly byRequest = new BoundedCache<{ value: unknown; size: number }>(16 * 1024 * 1024, (e) => e.size)

  constructor(version: CatalogVersion, types: InstanceType[], prices: Price[]) {
    this.version = version.version
    this.createdAt = version.createdAt
    this.source = version.source
    this.typeList = [...types].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    this.types = new Map(this.typeList.map((t) => [t.name, t]))
    const byRegion = new Map<string, Map<string, Price>>()
    for (const p of prices) {
      let m = byRegion.get(p.region)
      if (!m) byRegion.set(p.region, (m = new Map()))
      m.set(p.instanceType, p)
    }
    this.prices = byRegion
    this.regions = [...byRegion.entries()]
      .map(([region, m]) => {
        const list = [...m.values()]
        const asOfs = list.map((p) => p.asOf).sort()
        return {
          region,
          prices: list.length,
          oldestAsOf: asOfs[0]!,
          newestAsOf: asOfs[asOfs.length - 1]!,
          sources: [...new Set(list.map((p) => p.source))].sort(),
        }
      })
      .sort((a, b) => (a.region < b.region ? -1 : 1))
  }

  instanceType(name: string): InstanceType | undefined {
    return this.types.get(name)
  }

  price(region: string, name: string): Price | undefined {
    return this.prices.get(region)?.get(name)
  }

  /** A region's prices by instance type (for callers that look up many types in one region). */
  pricesIn(region: string): ReadonlyMap<string, Price> | undefined {
    return this.prices.get(region)
  }

  hasRegion(region: string): boolean {
    return this.prices.has(region)
  }

  regionPrices(region: string): RegionPrices | undefined {
    return this.regions.find((r) => r.region === region)
  }

  /**
   * Work that depends only on this catalog version (and the key) is done once and kept for the
   * snapshot's life: a new version starts empty, so nothing stale survives a refresh. Bounded (LRU).
   */
  memoize<T>(key: string, compute: () => T): T {
    const hit = this.memo.get(key)
    if (hit !== undefined) return hit as T
    const value = compute()
    this.memo.set(key, value)
    return value
  }

  /**
   * The same for finished response bodies (JSON, CSV), kept as UTF-8 bytes: a repeated question on
   * the same catalog version costs a lookup, not a computation, a serialisation and an encoding.
   * Bounded by bytes (64 MiB, LRU).
   */
  body(key: string, render: () => string): Buffer {
    const hit = this.bodies.get(key)
    if (hit !== undefined) return hit
    const value = Buffer.from(render(), 'utf8')
    this.bodies.set(key, value)
    return value
  }

  /**
   * The gzip form of a body this snapshot keeps, made on first use and then kept beside it: weakly, so
   * it goes when the body leaves the cache (its size is about a tenth of the body's, so the cache's
   * byte budget bounds these too). A body is compressed once per catalog version, not per request.
   */
  gzipped(body: Buffer): Buffer {
    let gz = this.gzips.get(body)
    if (gz === undefined) {
      gz = gzipSync(body, { level: constants.Z_BEST_COMPRESSION })
      this.gzips.set(body, gz)
    }
    return gz
  }

  /**
   * A finished answer kept under the request that asked for it (its URL as sent): the bodies themselves
   * are the ones body() keeps, so an entry costs its key and a few references.
   */
  answerFor<T>(key: string): T | undefined {
    return this.byRequest.get(key)?.value as T | undefined
  }

  keepAnswerFor(key: string, value: unknown): void {
    this.byRequest.set(key, { value, size: 2 * key.length + 128 })
  }

  /** For bodies rendered elsewhere (GraphQL): look up, and keep. */
  peekBody(key: string): Buffer | undefined {
    return this.bodies.get(key)
  }

  keepBody(key: string, body: string | Buffer): Buffer {
    const kept = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
    this.bodies.set(key, kept)
    return kept
  }
}

/**
 * A bounded cache that keeps what is used: a hit only marks its entry (no reordering, so a hit costs
 * one Map lookup); when over budget, the oldest entries are evicted unless marked, and a marked one
 * gets a second chance at the young end (the CLOCK approximation of least-recently-used).
 */
export class BoundedCache<V> {
  private readonly map = new Map<string, { value: V; used: boolean }>()
  private used = 0
  constructor(
    private readonly budget: number,
    private readonly sizeOf: (v: V) => number,
  ) {}

  get(key: string): V | undefined {
    const e = this.map.get(key)
    if (e === undefined) return undefined
    e.used = true
    return e.value
  }

  set(key: string, value: V): void {
    const size = this.sizeOf(value)
    if (size > this.budget) return
    const old = this.map.get(key)
    if (old !== undefined) {
      this.used -= this.sizeOf(old.value)
      this.map.delete(key)
    }
    this.map.set(key, { value, used: false })
    this.used += size
    // Each entry is looked at most twice per eviction round, so this ends.
    let guard = this.map.size * 2
    for (const [k, e] of this.map) {
      if (this.used <= this.budget || guard-- <= 0) break
      this.map.delete(k)
      if (e.used && k !== key) {
        e.used = false
        this.map.set(k, e)
      } else {
        this.used -= this.sizeOf(e.value)
      }
    }
  }
}
