// What a refresh would do to the catalog, decided without touching anything: given the catalog as it
// stands and what AWS returned, the next catalog rows and the diff the refresh report shows, or the
// reasons the result is refused. Pure (no database, clock or AWS) so every gate and every count can be
// tested from literals (test/catalog/catalog-change.test.ts); src/catalog/refresh.ts reads the current
// catalog inside its write transaction, asks this module, and writes what it says.

import { CAPACITY_TYPES, InputError, type CapacityType, type InstanceType, type Price, type StoragePrice } from '../domain/types.js'
import type { AwsInstanceType, SkipCounts } from './aws-source.js'
import type { PricedTypes } from './repository.js'

/** catalog_versions.source and instance_types.source of everything a refresh writes. */
export const REFRESH_SOURCE = 'aws'
/** A refresh may drop at most this share of the instance types, and of each refreshed region's prices
 * of each kind (on-demand, spot, reserved-1y, and its storage prices). */
export const DEFAULT_MAX_DROP_SHARE = 0.1

/** How much of the current catalog one refresh may remove: shares from 0 to 1. */
export interface CatalogLimits {
  /** Refuse when more than this share of the current instance types would disappear. */
  maxDropShare: number
  /** Refuse when more than this share of a refreshed region's current prices of one kind would disappear. */
  maxPriceDropShare: number
}

/** The catalog as it stands (the rows readInstanceTypes and readStoragePrices return). */
export interface CurrentCatalog {
  instanceTypes: InstanceType[]
  /** Which types are priced where, every region and kind: the price rows themselves (readPrices; a row
   * without capacityType is on-demand), or only their names per region and kind (readPricedTypes, what a
   * refresh reads: the gates and counts need nothing else). */
  prices: readonly Price[] | readonly PricedTypes[]
  storagePrices?: StoragePrice[]
}

/** What the AWS source returned for `regions`: the regions asked for travel with it, because only
 * their prices are replaced and gated (other regions' prices are left as they are). */
export interface FetchedCatalog {
  regions: string[]
  instanceTypes: AwsInstanceType[]
  /** On-demand, spot and reserved-1y rows together. */
  prices: Price[]
  /** The gp3 price of each region AWS had one for. Absent: storage prices were not asked for (a fetch
   * injected in a test), so they are left as they are, neither gated nor replaced. */
  storagePrices?: StoragePrice[]
  skipped: SkipCounts
}

/** The rows to write: every instance type (replaced whole), and the prices (of every kind) and storage
 * prices of exactly `regions`. Writing them also deletes the prices, in the regions not refreshed, of the
 * types the next catalog does not have (replaceCatalog): `diff.prices.droppedWithTypes` counts them. */
export interface NextCatalog {
  instanceTypes: Array<InstanceType & { source: string }>
  prices: { regions: string[]; rows: Price[] }
  /** Absent when the fetch carried no storage prices. */
  storagePrices?: { regions: string[]; rows: StoragePrice[] }
}

/** Shaped as RefreshReport's fields of the same names, which are copied from it. */
export interface CatalogDiff {
  instanceTypes: {
    total: number
    added: number
    removed: number
    /** Known types whose AWS-sourced fields (COMPARED) changed. */
    updated: number
    /** New to the catalog, sorted: AWS publishes no branch-ENI limits, so these get trunking false / branchEnis 0. */
    addedNames: string[]
    /** No longer returned by AWS, sorted: dropped, within the limit. */
    removedNames: string[]
  }
  /** total: price rows written, every kind; byRegion: instance types priced on demand in each refreshed
   * region; byCapacityType: per refreshed region, the types priced in each kind; droppedWithTypes: the
   * price rows (every kind) of regions not refreshed whose instance type is not in the next catalog,
   * deleted in the same transaction, per region (a refresh of every commercial region leaves GovCloud's
   * prices alone, but not those of types that are gone). */
  prices: {
    total: number
    byRegion: Record<string, number>
    byCapacityType: Record<string, Record<CapacityType, number>>
    droppedWithTypes: { total: number; byRegion: Record<string, number> }
  }
  /** total: storage price rows written; byRegion: per refreshed region, the volume types priced (gp3: 0 or 1). */
  storagePrices: { total: number; byRegion: Record<string, number> }
  /** reason → count of AWS records that could not be used (zero prices among them), as the fetch counted them. */
  skipped: SkipCounts
}

export type CatalogPlan = { ok: true; next: NextCatalog; diff: CatalogDiff } | { ok: false; why: string[] }

/** The fields DescribeInstanceTypes supplies: a known type counts as updated when one of them changed.
 * trunking and branchEnis are carried over from the current catalog, so never differ. */
const COMPARED: (keyof InstanceType)[] = [
  'family',
  'vcpu',
  'memoryMiB',
  'arch',
  'maxEnis',
  'ipv4PerEni',
  'networkCards',
  'maxEnisAllCards',
  'ipv6Supported',
  'hypervisor',
  'bareMetal',
  'encryptionInTransit',
  'networkPerformance',
  'networkBandwidthMbps',
]

/**
 * The limits with their defaults (the price limit defaults to the type limit), checked: throws an
 * InputError naming the option when a share is not a number from 0 to 1. Called before a run is
 * recorded, so a bad option leaves no row behind.
 */
export function catalogLimits(opts: { maxDropShare?: number; maxPriceDropShare?: number }): CatalogLimits {
  const maxDropShare = opts.maxDropShare ?? DEFAULT_MAX_DROP_SHARE
  const maxPriceDropShare = opts.maxPriceDropShare ?? maxDropShare
  for (const [name, v] of [
    ['maxDropShare', maxDropShare],
    ['maxPriceDropShare', maxPriceDropShare],
  ] as const) {
    if (!Number.isFinite(v) || v < 0 || v > 1) throw new InputError(name, `${name} must be a share from 0 to 1; got ${v}`)
  }
  return { maxDropShare, maxPriceDropShare }
}

/**
 * The next catalog and its diff, or why not. Refused when AWS returned no instance types, when more
 * than `maxDropShare` of the current types would disappear, or when more than `maxPriceDropShare` of a
 * refreshed region's current prices of one kind, or of its storage prices, would (a drop of exactly the
 * limit is allowed): a broken, throttled or truncated API answer must not quietly empty the catalog.
 * Every reason is given, in that order. An empty current catalog (or region) has nothing to lose, so only the empty fetch gates it.
 */
export function planCatalogChange(current: CurrentCatalog, fetched: FetchedCatalog, limits: CatalogLimits): CatalogPlan {
  const { maxDropShare, maxPriceDropShare } = limits
  const { regions } = fetched
  const asked = new Set(regions)
  const currentTypes = new Map(current.instanceTypes.map((t) => [t.name, t]))

  // Merge: AWS's limits and specs; the branch-ENI fields (in no AWS API) from the current catalog.
  const addedNames: string[] = []
  let updated = 0
  const nextTypes = fetched.instanceTypes.map((t) => {
    const known = currentTypes.get(t.name)
    if (!known) addedNames.push(t.name)
    const merged: InstanceType = { ...t, trunking: known?.trunking ?? false, branchEnis: known?.branchEnis ?? 0 }
    if (known && COMPARED.some((k) => known[k] !== merged[k])) updated++
    return { ...merged, source: REFRESH_SOURCE }
  })
  const fetchedNames = new Set(nextTypes.map((t) => t.name))
  const removedNames = [...currentTypes.keys()].filter((n) => !fetchedNames.has(n)).sort()

  const why: string[] = []
  if (nextTypes.length === 0) why.push('AWS returned no instance types')
  if (currentTypes.size > 0 && removedNames.length / currentTypes.size > maxDropShare) {
    why.push(
      `${removedNames.length} of ${currentTypes.size} instance types (${share(removedNames.length, currentTypes.size)}) ` +
        `would disappear, more than the ${percent(maxDropShare)} allowed`,
    )
  }
  // Per region and kind, by instance type: a region AWS priced less of is what a throttled or truncated
  // price list looks like, even when the types themselves came back whole. Spot and reserved prices are
  // gated like on-demand ones, each on its own: a spot list cut short must not hide behind a whole
  // on-demand one.
  const byRegion: Record<string, number> = {}
  const byCapacityType: Record<string, Record<CapacityType, number>> = {}
  const freshByKey = groupByRegionAndKind(fetched.prices.filter((p) => asked.has(p.region)))
  const knownByKey = pricedByRegionAndKind(current.prices)
  for (const region of regions) {
    const counts = {} as Record<CapacityType, number>
    for (const kind of CAPACITY_TYPES) {
      const fresh = freshByKey.get(`${region} ${kind}`) ?? new Set<string>()
      counts[kind] = fresh.size
      const known = knownByKey.get(`${region} ${kind}`) ?? new Set<string>()
      let dropped = 0
      for (const name of known) if (!fresh.has(name)) dropped++
      if (known.size > 0 && dropped / known.size > maxPriceDropShare) {
        why.push(
          `${dropped} of ${known.size} ${kind === 'on-demand' ? '' : `${kind} `}prices in ${region} (${share(dropped, known.size)}) ` +
            `would disappear, more than the ${percent(maxPriceDropShare)} allowed`,
        )
      }
    }
    byRegion[region] = counts['on-demand']
    byCapacityType[region] = counts
  }
  // Storage prices: one row per region and volume type, gated alike (losing a region's gp3 price is a
  // drop of all of it).
  const storageByRegion: Record<string, number> = {}
  const freshStorage = (fetched.storagePrices ?? []).filter((p) => asked.has(p.region))
  for (const region of fetched.storagePrices ? regions : []) {
    const fresh = new Set(freshStorage.filter((p) => p.region === region).map((p) => p.volumeType))
    storageByRegion[region] = fresh.size
    const known = (current.storagePrices ?? []).filter((p) => p.region === region)
    const dropped = known.filter((p) => !fresh.has(p.volumeType)).length
    if (known.length > 0 && dropped / known.length > maxPriceDropShare) {
      why.push(
        `${dropped} of ${known.length} storage prices in ${region} (${known.map((p) => p.volumeType).join(', ')}) ` +
          `would disappear, more than the ${percent(maxPriceDropShare)} allowed`,
      )
    }
  }
  if (why.length > 0) return { ok: false, why }

  // Only the asked-for regions' prices are replaced: a row AWS returned for another region is not written.
  const prices: Price[] = fetched.prices.filter((p) => asked.has(p.region))
  // The regions left as they are keep their prices, but not those of types that are not in the next
  // catalog (removed now, or gone before): replaceCatalog deletes them, this counts them for the report.
  // The refreshed regions get what AWS returned, as it returned it.
  const droppedByRegion: Record<string, number> = {}
  let dropped = 0
  for (const [key, names] of knownByKey) {
    const region = key.slice(0, key.indexOf(' '))
    if (asked.has(region)) continue
    let n = 0
    for (const name of names) if (!fetchedNames.has(name)) n++
    if (n === 0) continue
    droppedByRegion[region] = (droppedByRegion[region] ?? 0) + n
    dropped += n
  }
  return {
    ok: true,
    next: {
      instanceTypes: nextTypes,
      prices: { regions, rows: prices },
      ...(fetched.storagePrices ? { storagePrices: { regions, rows: freshStorage } } : {}),
    },
    diff: {
      instanceTypes: {
        total: nextTypes.length,
        added: addedNames.length,
        removed: removedNames.length,
        updated,
        addedNames: addedNames.sort(),
        removedNames,
      },
      prices: {
        total: prices.length,
        byRegion,
        byCapacityType,
        droppedWithTypes: { total: dropped, byRegion: Object.fromEntries(Object.entries(droppedByRegion).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) },
      },
      storagePrices: { total: freshStorage.length, byRegion: storageByRegion },
      skipped: fetched.skipped,
    },
  }
}

/** "region kind" → the instance types priced there in that kind, from price rows or from readPricedTypes. */
function pricedByRegionAndKind(prices: readonly Price[] | readonly PricedTypes[]): Map<string, Set<string>> {
  const first = prices[0]
  if (first === undefined || !('instanceTypes' in first)) return groupByRegionAndKind(prices as readonly Price[])
  const out = new Map<string, Set<string>>()
  for (const g of prices as readonly PricedTypes[]) {
    const key = `${g.region} ${g.capacityType}`
    let set = out.get(key)
    if (!set) out.set(key, (set = new Set()))
    for (const name of g.instanceTypes) set.add(name)
  }
  return out
}

/** "region kind" → the instance types priced there in that kind. */
function groupByRegionAndKind(prices: readonly Price[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  for (const p of prices) {
    const key = `${p.region} ${p.capacityType ?? 'on-demand'}`
    let set = out.get(key)
    if (!set) out.set(key, (set = new Set()))
    set.add(p.instanceType)
  }
  return out
}

/** The catalog_versions.note of a refresh's version: which run, which regions, and what it dropped
 * (the first 20 names), so the version history says what happened without the run table. */
export function changeNote(runId: number, regions: string[], diff: CatalogDiff): string {
  const { added, removedNames } = diff.instanceTypes
  const parts = [`refresh run ${runId} from AWS: ${regions.join(', ')}`]
  if (added) parts.push(`${added} new type(s) without branch-ENI limits`)
  if (removedNames.length) parts.push(`removed ${removedNames.length}: ${removedNames.slice(0, 20).join(', ')}${removedNames.length > 20 ? ', ...' : ''}`)
  const dropped = diff.prices.droppedWithTypes
  if (dropped.total) {
    const where = Object.entries(dropped.byRegion).map(([region, n]) => `${region} ${n}`).join(', ')
    parts.push(`deleted ${dropped.total} price(s) of types no longer in the catalog in regions not refreshed (${where})`)
  }
  return parts.join('; ')
}

function share(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(1)} %`
}

function percent(s: number): string {
  return `${Math.round(s * 1000) / 10} %`
}
