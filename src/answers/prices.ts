// Which price an answer uses (capacityType) and what it can say about it: where the prices of that kind
// come from in the region, and since when. Every door's answer carries this beside its cost columns, so a
// spot or reserved figure never stands without its source and date.
import type { CatalogSnapshot } from '../catalog/snapshot.js'
import type { CapacityType, Price, StoragePrice } from '../domain/types.js'

/** What each kind is, in the words the answers use. */
export const CAPACITY_TYPE_WORDS: Readonly<Record<CapacityType, string>> = {
  'on-demand': 'on-demand Linux price (AWS Price List API, OnDemand term)',
  spot:
    'spot Linux/UNIX price: the median over the region\'s Availability Zones of the latest price in each (EC2 DescribeSpotPriceHistory); ' +
    'it moves with demand, and spot nodes can be interrupted at two minutes\' notice',
  'reserved-1y': '1-year standard Reserved Instance rate, no upfront (AWS Price List API, Reserved term): a one-year commitment',
}

/** Where each kind is documented. */
export const CAPACITY_TYPE_REFERENCES: Readonly<Record<CapacityType, string>> = {
  'on-demand': 'https://aws.amazon.com/ec2/pricing/on-demand/',
  spot: 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-spot-instances-history.html',
  'reserved-1y': 'https://aws.amazon.com/ec2/pricing/reserved-instances/pricing/',
}

/** The prices of one kind in one region, with what the answer says of them. */
export interface KindPrices {
  capacityType: CapacityType
  region: string
  /** $/hour per instance type, or null where the catalog has none of this kind. */
  priceOf: (name: string) => number | null
  /** The price rows themselves (for the spot AZ count and timestamp). */
  rowOf: (name: string) => Price | undefined
  /** Where the region's prices of this kind come from (empty: the catalog has none). */
  sources: string[]
  /** The oldest as-of among them: how old they are at worst; null when there are none. */
  asOf: string | null
  /** "spot prices in eu-west-1: aws-ec2-spot-price-history, as of 2026-11-20" */
  describe: string
}

export function kindPrices(snap: CatalogSnapshot, region: string, capacityType: CapacityType): KindPrices {
  const map = snap.pricesIn(region, capacityType)
  const summary = snap.regionPrices(region)?.byCapacityType[capacityType]
  const sources = summary?.sources ?? []
  const asOf = summary?.oldestAsOf ?? null
  return {
    capacityType,
    region,
    priceOf: (name) => map?.get(name)?.usdPerHour ?? null,
    rowOf: (name) => map?.get(name),
    sources,
    asOf,
    describe:
      asOf === null
        ? `no ${capacityType} prices for ${region} in the catalog`
        : `${capacityType} prices in ${region}: ${sources.join(', ')}, as of ${asOf.slice(0, 10)}`,
  }
}

/** The region's gp3 price (for ebsGiB), or null. */
export function gp3Of(snap: CatalogSnapshot, region: string): StoragePrice | null {
  return snap.gp3Price(region) ?? null
}

/** What a refresh must be asked to fill a kind's missing prices, in one sentence. */
export function refreshHint(capacityType: CapacityType, region: string): string {
  const from = capacityType === 'spot' ? 'EC2 spot price history' : 'AWS Pricing API'
  return (
    `a catalog refresh (POST /v1/admin/refresh with {"regions":["${region}"]}, the refreshCatalog mutation, or the daily job over every region) ` +
    `fetches the region's ${capacityType} prices from the ${from}`
  )
}
