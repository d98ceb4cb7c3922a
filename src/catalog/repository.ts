// Plain query functions over the catalog tables. Every write of catalog data goes through
// `replaceCatalog`, in the caller's transaction, so a change lands whole or not at all.
import { ADVISORY_LOCKS, type Queryable } from '../db/db.js'
import type { CapacityType, InstanceType, Price, StoragePrice } from '../domain/types.js'

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

export interface CatalogChange {
  /** Replaces every instance type when given. */
  instanceTypes?: Array<InstanceType & { source: string }>
  /** Replaces the prices (every kind) of exactly these regions. */
  prices?: { regions: string[]; rows: Price[] }
  /** Replaces the storage prices of exactly these regions. */
  storagePrices?: { regions: string[]; rows: StoragePrice[] }
  source: string
  note?: string
}

/**
 * Writes a change and records a new catalog version, inside the caller's transaction.
 * Takes the catalog-write lock so two writers (seed on start-up, a refresh) never interleave.
 * Rows travel as one JSON parameter each: one round trip for a thousand rows, on pg and PGlite alike.
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
    await q.query(
      `INSERT INTO prices (region, instance_type, usd_per_hour, source, as_of, capacity_type, az_count, spot_timestamp)
       SELECT region, "instanceType", "usdPerHour", source, "asOf", coalesce("capacityType", 'on-demand'), "azCount", "spotTimestamp"
       FROM json_to_recordset($1::json) AS x(region text, "instanceType" text, "usdPerHour" numeric, source text, "asOf" timestamptz,
         "capacityType" text, "azCount" int, "spotTimestamp" timestamptz)`,
      [JSON.stringify(change.prices.rows)],
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
