// What a refresh would do to the catalog, decided without touching anything: given the catalog as it
// stands and what AWS returned, the next catalog rows and the diff the refresh report shows, or the
// reasons the result is refused. Pure (no database, clock or AWS) so every gate and every count can be
// tested from literals (test/catalog/catalog-change.test.ts); src/catalog/refresh.ts reads the current
// catalog inside its write transaction, asks this module, and writes what it says.

import { InputError, type InstanceType, type Price } from '../domain/types.js'
import type { AwsInstanceType, SkipCounts } from './aws-source.js'

/** catalog_versions.source and instance_types.source of everything a refresh writes. */
export const REFRESH_SOURCE = 'aws'
/** A refresh may drop at most this share of the instance types, and of each refreshed region's prices. */
export const DEFAULT_MAX_DROP_SHARE = 0.1

/** How much of the current catalog one refresh may remove: shares from 0 to 1. */
export interface CatalogLimits {
  /** Refuse when more than this share of the current instance types would disappear. */
  maxDropShare: number
  /** Refuse when more than this share of a refreshed region's current prices would disappear. */
  maxPriceDropShare: number
}

/** The catalog as it stands (the rows readInstanceTypes and readPrices return). */
export interface CurrentCatalog {
  instanceTypes: InstanceType[]
  prices: Price[]
}

/** What the AWS source returned for `regions`: the regions asked for travel with it, because only
 * their prices are replaced and gated (other regions' prices are left as they are). */
export interface FetchedCatalog {
  regions: string[]
  instanceTypes: AwsInstanceType[]
  prices: Price[]
  skipped: SkipCounts
}

/** The rows to write: every instance type (replaced whole), and the prices of exactly `regions`. */
export interface NextCatalog {
  instanceTypes: Array<InstanceType & { source: string }>
  prices: { regions: string[]; rows: Price[] }
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
  /** total: price rows written; byRegion: instance types priced in each refreshed region. */
  prices: { total: number; byRegion: Record<string, number> }
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
 * refreshed region's current prices would (a drop of exactly the limit is allowed): a broken,
 * throttled or truncated API answer must not quietly empty the catalog. Every reason is given, in
 * that order. An empty current catalog (or region) has nothing to lose, so only the empty fetch gates it.
 */
export function planCatalogChange(current: CurrentCatalog, fetched: FetchedCatalog, limits: CatalogLimits): CatalogPlan {
  const { maxDropShare, maxPriceDropShare } = limits
  const { regions } = fetched
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
  // Per region, by instance type: a region AWS priced less of is what a throttled or truncated price
  // list looks like, even when the types themselves came back whole.
  const byRegion: Record<string, number> = {}
  for (const region of regions) {
    const fresh = new Set(fetched.prices.filter((p) => p.region === region).map((p) => p.instanceType))
    byRegion[region] = fresh.size
    const known = current.prices.filter((p) => p.region === region)
    const dropped = known.filter((p) => !fresh.has(p.instanceType)).length
    if (known.length > 0 && dropped / known.length > maxPriceDropShare) {
      why.push(
        `${dropped} of ${known.length} prices in ${region} (${share(dropped, known.length)}) ` +
          `would disappear, more than the ${percent(maxPriceDropShare)} allowed`,
      )
    }
  }
  if (why.length > 0) return { ok: false, why }

  // Only the asked-for regions' prices are replaced: a row AWS returned for another region is not written.
  const prices: Price[] = fetched.prices.filter((p) => regions.includes(p.region))
  return {
    ok: true,
    next: { instanceTypes: nextTypes, prices: { regions, rows: prices } },
    diff: {
      instanceTypes: {
        total: nextTypes.length,
        added: addedNames.length,
        removed: removedNames.length,
        updated,
        addedNames: addedNames.sort(),
        removedNames,
      },
      prices: { total: prices.length, byRegion },
      skipped: fetched.skipped,
    },
  }
}

/** The catalog_versions.note of a refresh's version: which run, which regions, and what it dropped
 * (the first 20 names), so the version history says what happened without the run table. */
export function changeNote(runId: number, regions: string[], diff: CatalogDiff): string {
  const { added, removedNames } = diff.instanceTypes
  const parts = [`refresh run ${runId} from AWS: ${regions.join(', ')}`]
  if (added) parts.push(`${added} new type(s) without branch-ENI limits`)
  if (removedNames.length) parts.push(`removed ${removedNames.length}: ${removedNames.slice(0, 20).join(', ')}${removedNames.length > 20 ? ', ...' : ''}`)
  return parts.join('; ')
}

function share(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(1)} %`
}

function percent(s: number): string {
  return `${Math.round(s * 1000) / 10} %`
}
