// Plain query functions over the catalog tables. Every write of catalog data goes through
// `replaceCatalog`, in the caller's transaction, so a change lands whole or not at all. Prices are read
// and written by group (PriceGroup: a region's prices of one kind, source and date), never as one row
// (or one JSON text) per price for the whole catalog: see readPriceGroups and insertPrices.
import { ADVISORY_LOCKS, type Queryable } from '../db/db.js'
import type { CapacityType, InstanceType, Price, StoragePrice } from '../domain/types.js'
import { Interner } from './interner.js'

export { Interner } from './interner.js'

export const CATALOG_CHANNEL = 'catalog_changed'

export interface CatalogVersion {
  version: number
  createdAt: string
  source: string
  instanceTypes: number
  prices: number
}

interface InstanceTypeRow {
  name: string
  family: string
  vcpu: number | null
  memory_mib: number | null
  arch: 'amd64' | 'arm64' | null
  max_enis: number
  ipv4_per_eni: number
  network_cards: number
  max_enis_all_cards: number
  ipv6_supported: boolean
  hypervisor: 'nitro' | 'xen' | null
  bare_metal: boolean
  trunking: boolean
  branch_enis: number
  encryption_in_transit: boolean | null
  network_performance: string | null
  network_bandwidth_mbps: number | null
}

const toInstanceType = (r: InstanceTypeRow): InstanceType => ({
  name: r.name,
  family: r.family,
  vcpu: r.vcpu,
  memoryMiB: r.memory_mib,
  arch: r.arch,
  maxEnis: r.max_enis,
  ipv4PerEni: r.ipv4_per_eni,
  networkCards: r.network_cards,
  maxEnisAllCards: r.max_enis_all_cards,
  ipv6Supported: r.ipv6_supported,
  hypervisor: r.hypervisor,
  bareMetal: r.bare_metal,
  trunking: r.trunking,
  branchEnis: r.branch_enis,
  encryptionInTransit: r.encryption_in_transit,
  networkPerformance: r.network_performance,
  networkBandwidthMbps: r.network_bandwidth_mbps,
})

export async function currentVersion(q: Queryable): Promise<CatalogVersion | null> {
  const { rows } = await q.query<{ version: string; created_at: Date; source: string; instance_types: number; prices: number }>(
    'SELECT version, created_at, source, instance_types, prices FROM catalog_versions ORDER BY version DESC LIMIT 1',
  )
  const r = rows[0]
  if (!r) return null
  return {
    version: Number(r.version),
    createdAt: new Date(r.created_at).toISOString(),
    source: r.source,
    instanceTypes: r.instance_types,
    prices: r.prices,
  }
}

export async function readInstanceTypes(q: Queryable): Promise<InstanceType[]> {
  const { rows } = await q.query<InstanceTypeRow>('SELECT * FROM instance_types ORDER BY name')
  return rows.map(toInstanceType)
}

/** Every price row, of every kind. An on-demand row carries no capacityType (as before migration 003),
 * so on-demand prices read back exactly as they were written. */
export async function readPrices(q: Queryable): Promise<Price[]> {
  const { rows } = await q.query<{
    region: string
    instance_type: string
    usd_per_hour: string
    source: string
    as_of: Date
    capacity_type: CapacityType
    az_count: number | null
    spot_timestamp: Date | null
  }>(
    `SELECT region, instance_type, usd_per_hour, source, as_of, capacity_type, az_count, spot_timestamp
     FROM prices ORDER BY region, instance_type, capacity_type`,
  )
  return rows.map((r) => {
    const p: Price = {
      region: r.region,
      instanceType: r.instance_type,
      usdPerHour: Number(r.usd_per_hour),
      source: r.source,
      asOf: new Date(r.as_of).toISOString(),
    }
    if (r.capacity_type !== 'on-demand') p.capacityType = r.capacity_type
    if (r.az_count !== null) p.azCount = r.az_count
    if (r.spot_timestamp !== null) p.spotTimestamp = new Date(r.spot_timestamp).toISOString()
    return p
  })
}

export async function readStoragePrices(q: Queryable): Promise<StoragePrice[]> {
  const { rows } = await q.query<{ region: string; volume_type: 'gp3'; usd_per_gb_month: string; source: string; as_of: Date }>(
    'SELECT region, volume_type, usd_per_gb_month, source, as_of FROM storage_prices ORDER BY region, volume_type',
  )
  return rows.map((r) => ({
    region: r.region,
    volumeType: r.volume_type,
    usdPerGbMonth: Number(r.usd_per_gb_month),
    source: r.source,
    asOf: new Date(r.as_of).toISOString(),
  }))
}

/**
 * The prices of one region and kind that share a source and an as-of date, as parallel arrays: how the
 * catalog reads its prices at start-up (one row per group instead of one per price) and writes them
 * (one multi-row INSERT per batch of a group, its region, kind, source and date as single parameters).
 */
export interface PriceGroup {
  region: string
  capacityType: CapacityType
  source: string
  asOf: string
  instanceTypes: string[]
  usdPerHour: number[]
  /** Spot groups: one entry per price (null for a row without one); other kinds: null. */
  azCount: Array<number | null> | null
  spotTimestamp: Array<string | null> | null
}

/** Groups price rows by region, kind, source and as-of (rows keep their order within a group). */
export function groupPrices(rows: Iterable<Price>): PriceGroup[] {
  const groups = new Map<string, PriceGroup>()
  for (const p of rows) {
    const kind = p.capacityType ?? 'on-demand'
    const key = `${p.region}\u0000${kind}\u0000${p.source}\u0000${p.asOf}`
    let g = groups.get(key)
    if (!g) {
      g = { region: p.region, capacityType: kind, source: p.source, asOf: p.asOf, instanceTypes: [], usdPerHour: [], azCount: null, spotTimestamp: null }
      groups.set(key, g)
    }
    const n = g.instanceTypes.length
    g.instanceTypes.push(p.instanceType)
    g.usdPerHour.push(p.usdPerHour)
    if (p.azCount !== undefined || p.spotTimestamp !== undefined || g.azCount) {
      g.azCount ??= new Array<number | null>(n).fill(null)
      g.spotTimestamp ??= new Array<string | null>(n).fill(null)
      g.azCount.push(p.azCount ?? null)
      g.spotTimestamp.push(p.spotTimestamp ?? null)
    }
  }
  return [...groups.values()]
}

/** A timestamp as the catalog states it: ISO 8601 in UTC with milliseconds (Date.toISOString). */
function isoOf(value: Date | string): string {
  return new Date(value).toISOString()
}

/**
 * Every price, compactly: per region, one row per kind, source and as-of, its prices in one JSON array
 * ([instance type, USD/h, AZ count, spot timestamp] each). About a hundred rows for the whole catalog
 * instead of ~90,000: the embedded database hands each row and field to JavaScript one by one, so reading
 * the prices row by row took over a second and ~50 MiB of short-lived objects. One region at a time, so
 * that what is parsed at once (a region's few hundred kB of JSON) stays small: read whole, the catalog's
 * ~11 MB of JSON grew the heap by ~30 MiB, which the process then kept. The strings come out shared
 * (`interner`): the ~90,000 prices of a snapshot hold a few thousand strings. Run it in a transaction
 * (readSnapshot does) so that every region is read from the same version.
 */
export async function readPriceGroups(q: Queryable, interner = new Interner()): Promise<PriceGroup[]> {
  const regions = await q.query<{ region: string }>('SELECT DISTINCT region FROM prices ORDER BY region')
  const isoCache = new Map<string, string>()
  const iso = (s: string): string => {
    let v = isoCache.get(s)
    if (v === undefined) isoCache.set(s, (v = interner.intern(isoOf(s))))
    return v
  }
  const groups: PriceGroup[] = []
  for (const { region } of regions.rows) {
    const { rows } = await q.query<{ capacity_type: CapacityType; source: string; as_of: Date | string; prices: string }>(
      `SELECT capacity_type, source, as_of,
         json_agg(json_build_array(instance_type, usd_per_hour, az_count, spot_timestamp))::text AS prices
       FROM prices WHERE region = $1 GROUP BY capacity_type, source, as_of`,
      [region],
    )
    for (const r of rows) {
      const list = JSON.parse(r.prices) as Array<[string, number, number | null, string | null]>
      const spot = list.some((x) => x[2] !== null || x[3] !== null)
      groups.push({
        region: interner.intern(region),
        capacityType: interner.intern(r.capacity_type) as CapacityType,
        source: interner.intern(r.source),
        asOf: interner.intern(isoOf(r.as_of)),
        instanceTypes: list.map((x) => interner.intern(x[0])),
        usdPerHour: list.map((x) => Number(x[1])),
        azCount: spot ? list.map((x) => x[2]) : null,
        spotTimestamp: spot ? list.map((x) => (x[3] === null ? null : iso(x[3]))) : null,
      })
    }
  }
  return groups
}

/** Price rows as readPrices returns them (an on-demand row carries no capacityType), from groups. */
export function* pricesOf(groups: Iterable<PriceGroup>): Generator<Price> {
  for (const g of groups) {
    for (let i = 0; i < g.instanceTypes.length; i++) {
      const p: Price = { region: g.region, instanceType: g.instanceTypes[i]!, usdPerHour: g.usdPerHour[i]!, source: g.source, asOf: g.asOf }
      if (g.capacityType !== 'on-demand') p.capacityType = g.capacityType
      const az = g.azCount?.[i] ?? null
      if (az !== null) p.azCount = az
      const ts = g.spotTimestamp?.[i] ?? null
      if (ts !== null) p.spotTimestamp = ts
      yield p
    }
  }
}

/** The instance types priced in one region and kind: what a refresh's price gates compare with. */
export interface PricedTypes {
  region: string
  capacityType: CapacityType
  instanceTypes: string[]
}

/** Which instance types each region and kind has prices for, every region: one row per region and kind
 * (names only), not the ~90,000 price rows a refresh would otherwise read into memory to plan. */
export async function readPricedTypes(q: Queryable, interner = new Interner()): Promise<PricedTypes[]> {
  const { rows } = await q.query<{ region: string; capacity_type: CapacityType; names: string }>(
    'SELECT region, capacity_type, json_agg(instance_type)::text AS names FROM prices GROUP BY region, capacity_type ORDER BY region, capacity_type',
  )
  return rows.map((r) => ({
    region: interner.intern(r.region),
    capacityType: r.capacity_type,
    instanceTypes: (JSON.parse(r.names) as string[]).map((n) => interner.intern(n)),
  }))
}

export interface CatalogChange {
  /** Replaces every instance type when given; in regions whose prices are not replaced, the prices of
   * types no longer in the catalog go with them (see replaceCatalog). */
  instanceTypes?: Array<InstanceType & { source: string }>
  /** Replaces the prices (every kind) of exactly these regions. */
  prices?: { regions: string[]; rows: Iterable<Price> }
  /** Replaces the storage prices of exactly these regions. */
  storagePrices?: { regions: string[]; rows: StoragePrice[] }
  source: string
  note?: string
}

/** Prices per INSERT: a region's prices of one kind (a thousand or so) go in one statement. */
export const PRICE_BATCH_ROWS = 2000

/** Writes price rows in batches: per group (region, kind, source, as-of) one INSERT per PRICE_BATCH_ROWS
 * rows, the columns as arrays (unnest) and what the group shares as single parameters. Nothing is
 * built per row but the array elements: no JSON text of the whole catalog, on pg and PGlite alike. */
export async function insertPrices(q: Queryable, rows: Iterable<Price>): Promise<number> {
  let written = 0
  for (const g of groupPrices(rows)) {
    for (let from = 0; from < g.instanceTypes.length; from += PRICE_BATCH_ROWS) {
      const to = Math.min(from + PRICE_BATCH_ROWS, g.instanceTypes.length)
      await q.query(
        `INSERT INTO prices (region, instance_type, usd_per_hour, source, as_of, capacity_type, az_count, spot_timestamp)
         SELECT $1, t, p, $2, $3, $4, a, s FROM unnest($5::text[], $6::numeric[], $7::int[], $8::timestamptz[]) AS x(t, p, a, s)`,
        [
          g.region,
          g.source,
          g.asOf,
          g.capacityType,
          g.instanceTypes.slice(from, to),
          g.usdPerHour.slice(from, to),
          g.azCount?.slice(from, to) ?? null,
          g.spotTimestamp?.slice(from, to) ?? null,
        ],
      )
      written += to - from
    }
  }
  return written
}

/**
 * Writes a change and records a new catalog version, inside the caller's transaction.
 * Takes the catalog-write lock so two writers (seed on start-up, a refresh) never interleave.
 * Instance types travel as one JSON parameter (a thousand rows, one round trip); prices in batches
 * (insertPrices).
 *
 * A change that replaces the instance types also deletes, in the regions whose prices it does not
 * replace, every price of a type the new catalog does not have: a price is only ever read for a type of
 * the catalog, and one left behind (GovCloud's seed prices after a refresh of every commercial region
 * that replaced the seed's types) would still count among its region's prices, for types that are gone.
 * The prices it writes are written as given. Returns the new version.
 */
export async function replaceCatalog(q: Queryable, change: CatalogChange): Promise<number> {
  await q.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCKS.catalogWrite])
  if (change.instanceTypes) {
    await q.query('DELETE FROM instance_types')
    await q.query(
      `INSERT INTO instance_types (name, family, vcpu, memory_mib, arch, max_enis, ipv4_per_eni, network_cards,
         max_enis_all_cards, ipv6_supported, hypervisor, bare_metal, trunking, branch_enis, encryption_in_transit,
         network_performance, network_bandwidth_mbps, source)
       SELECT name, family, "vcpu", "memoryMiB", arch, "maxEnis", "ipv4PerEni", "networkCards", "maxEnisAllCards",
         "ipv6Supported", hypervisor, "bareMetal", trunking, "branchEnis", "encryptionInTransit",
         "networkPerformance", "networkBandwidthMbps", source
       FROM json_to_recordset($1::json) AS x(name text, family text, "vcpu" int, "memoryMiB" int, arch text,
         "maxEnis" int, "ipv4PerEni" int, "networkCards" int, "maxEnisAllCards" int, "ipv6Supported" boolean,
         hypervisor text, "bareMetal" boolean, trunking boolean, "branchEnis" int, "encryptionInTransit" boolean,
         "networkPerformance" text, "networkBandwidthMbps" int, source text)`,
      [JSON.stringify(change.instanceTypes)],
    )
  }
  if (change.prices) {
    await q.query('DELETE FROM prices WHERE region = ANY($1::text[])', [change.prices.regions])
    await insertPrices(q, change.prices.rows)
  }
  if (change.instanceTypes) {
    // Left over from earlier versions, in regions this change does not rewrite: prices of types the
    // catalog no longer has. (A region it rewrites holds what its source returned, as returned.)
    await q.query(
      `DELETE FROM prices p WHERE NOT (p.region = ANY($1::text[]))
         AND NOT EXISTS (SELECT 1 FROM instance_types t WHERE t.name = p.instance_type)`,
      [change.prices?.regions ?? []],
    )
  }
  if (change.storagePrices) {
    await q.query('DELETE FROM storage_prices WHERE region = ANY($1::text[])', [change.storagePrices.regions])
    await q.query(
      `INSERT INTO storage_prices (region, volume_type, usd_per_gb_month, source, as_of)
       SELECT region, "volumeType", "usdPerGbMonth", source, "asOf"
       FROM json_to_recordset($1::json) AS x(region text, "volumeType" text, "usdPerGbMonth" numeric, source text, "asOf" timestamptz)`,
      [JSON.stringify(change.storagePrices.rows)],
    )
  }
  const counts = await q.query<{ types: number; prices: number }>(
    'SELECT (SELECT count(*)::int FROM instance_types) AS types, (SELECT count(*)::int FROM prices) AS prices',
  )
  const { rows } = await q.query<{ version: string }>(
    'INSERT INTO catalog_versions (source, instance_types, prices, note) VALUES ($1, $2, $3, $4) RETURNING version',
    [change.source, counts.rows[0]!.types, counts.rows[0]!.prices, change.note ?? null],
  )
  const version = Number(rows[0]!.version)
  // Delivered on COMMIT only, so no replica ever reloads a catalog that did not land.
  await q.query('SELECT pg_notify($1, $2)', [CATALOG_CHANNEL, String(version)])
  return version
}
