import { CAPACITY_TYPES, type CapacityType, type InstanceType, type Price, type StoragePrice } from '../domain/types.js'
import type { CatalogVersion } from './repository.js'

/** How many types one price kind covers in a region, and since when. */
export interface KindPrices {
  prices: number
  /** The oldest as-of among these prices: how old they are at worst. */
  oldestAsOf: string
  newestAsOf: string
  sources: string[]
}

export interface RegionPrices {
  region: string
  /** The on-demand prices (what every answer defaults to). A region priced by other kinds only (no
   * on-demand row) counts 0 here, and its dates are those of every kind together. */
  prices: number
  /** The oldest as-of among the region's on-demand prices: how old "the prices" are at worst. */
  oldestAsOf: string
  newestAsOf: string
  sources: string[]
  /** Each price kind the region has, with its own count and dates; a kind it lacks is absent. */
  byCapacityType: Partial<Record<CapacityType, KindPrices>>
  /** The region's gp3 price per GB-month, or null where the catalog has none. */
  gp3: StoragePrice | null
}

const kindOf = (p: Price): CapacityType => p.capacityType ?? 'on-demand'

/** Count, oldest and newest as-of, and sources of a non-empty set of prices, in one pass. */
function summarise(list: Iterable<Price>): KindPrices {
  let prices = 0
  let oldest = ''
  let newest = ''
  const sources = new Set<string>()
  for (const p of list) {
    if (prices === 0 || p.asOf < oldest) oldest = p.asOf
    if (prices === 0 || p.asOf > newest) newest = p.asOf
    sources.add(p.source)
    prices++
  }
  return { prices, oldestAsOf: oldest, newestAsOf: newest, sources: [...sources].sort() }
}

/**
 * One immutable catalog version in memory: data only. Every answer is computed from a snapshot, never
 * from the database, so the hot path does no I/O and a refresh swaps the whole thing at once. What is
 * kept of answers lives in the answer pipeline (src/answers/pipeline.ts), under one byte budget.
 *
 * Size: a catalog of every commercial region with three price kinds is ~90,000 prices. Each is one small
 * object in a per-region Map; its strings (region, instance type, source, dates) are whatever the caller
 * passed. The loader (readSnapshot in store.ts) passes shared ones (repository.ts Interner), so the prices
 * cost ~100 bytes each, ~10 MiB in all, instead of ~30 MiB with six strings of their own per price.
 */
export class CatalogSnapshot {
  readonly version: number
  readonly createdAt: string
  readonly source: string
  readonly types: ReadonlyMap<string, InstanceType>
  /** Sorted by name. */
  readonly typeList: readonly InstanceType[]
  /** Every region with a price of any kind or a storage price, sorted by code. */
  readonly regions: readonly RegionPrices[]
  /** capacity type → region → instance type → price. */
  private readonly prices: ReadonlyMap<CapacityType, ReadonlyMap<string, ReadonlyMap<string, Price>>>
  private readonly storage: ReadonlyMap<string, StoragePrice>
  private readonly regionIndex: ReadonlyMap<string, RegionPrices>

  constructor(version: CatalogVersion, types: readonly InstanceType[], prices: Iterable<Price>, storagePrices: readonly StoragePrice[] = []) {
    this.version = version.version
    this.createdAt = version.createdAt
    this.source = version.source
    this.typeList = [...types].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    this.types = new Map(this.typeList.map((t) => [t.name, t]))
    const byKind = new Map<CapacityType, Map<string, Map<string, Price>>>()
    for (const p of prices) {
      const kind = kindOf(p)
      let regions = byKind.get(kind)
      if (!regions) byKind.set(kind, (regions = new Map()))
      let m = regions.get(p.region)
      if (!m) regions.set(p.region, (m = new Map()))
      m.set(p.instanceType, p)
    }
    this.prices = byKind
    this.storage = new Map(storagePrices.filter((s) => s.volumeType === 'gp3').map((s) => [s.region, s]))

    const codes = new Set<string>(this.storage.keys())
    for (const regions of byKind.values()) for (const r of regions.keys()) codes.add(r)
    this.regions = [...codes].sort().map((region) => {
      const byCapacityType: Partial<Record<CapacityType, KindPrices>> = {}
      for (const kind of CAPACITY_TYPES) {
        const m = byKind.get(kind)?.get(region)
        if (m && m.size > 0) byCapacityType[kind] = summarise(m.values())
      }
      const onDemand = byCapacityType['on-demand']
      const all = Object.values(byCapacityType)
      const gp3 = this.storage.get(region) ?? null
      const dates = all.length > 0 ? all.flatMap((k) => [k.oldestAsOf, k.newestAsOf]).sort() : [gp3!.asOf]
      return {
        region,
        prices: onDemand?.prices ?? 0,
        oldestAsOf: onDemand?.oldestAsOf ?? dates[0]!,
        newestAsOf: onDemand?.newestAsOf ?? dates[dates.length - 1]!,
        sources: onDemand?.sources ?? [...new Set(all.flatMap((k) => k.sources))].sort(),
        byCapacityType,
        gp3,
      }
    })
    this.regionIndex = new Map(this.regions.map((r) => [r.region, r]))
  }

  instanceType(name: string): InstanceType | undefined {
    return this.types.get(name)
  }

  price(region: string, name: string, capacityType: CapacityType = 'on-demand'): Price | undefined {
    return this.prices.get(capacityType)?.get(region)?.get(name)
  }

  /** A region's prices of one kind by instance type (for callers that look up many types in one region). */
  pricesIn(region: string, capacityType: CapacityType = 'on-demand'): ReadonlyMap<string, Price> | undefined {
    return this.prices.get(capacityType)?.get(region)
  }

  /** Whether the region has on-demand prices (or, given a kind, prices of that kind). */
  hasRegion(region: string, capacityType: CapacityType = 'on-demand'): boolean {
    return this.prices.get(capacityType)?.has(region) ?? false
  }

  regionPrices(region: string): RegionPrices | undefined {
    return this.regionIndex.get(region)
  }

  /** The region's gp3 storage price per GB-month, if the catalog has one. */
  gp3Price(region: string): StoragePrice | undefined {
    return this.storage.get(region)
  }
}
