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
 * One immutable catalog version in memory: data only. Every answer is computed from a snapshot, never
 * from the database, so the hot path does no I/O and a refresh swaps the whole thing at once. What is
 * kept of answers lives in the answer pipeline (src/answers/pipeline.ts), under one byte budget.
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
}
