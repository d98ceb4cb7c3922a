// The answers every door gives: the catalog snapshot plus the pure domain engines, shaped as the
// contract says. REST, GraphQL and Slack call these and only render; nothing here knows about HTTP.
import type { CatalogSnapshot } from '../catalog/snapshot.js'
import { capacityPlan, type CapacityPlan } from '../domain/capacity.js'
import { isEksNode, maxPods, maxPodsAllModes, type MaxPodsResult } from '../domain/density.js'
import type { Parsed } from '../domain/fields.js'
import { MODES, NotFoundError, type InstanceType, type Mode } from '../domain/types.js'
import type { CAPACITY_FIELDS, MAX_PODS_FIELDS } from './inputs.js'
import { InputError } from '../domain/types.js'
import { within, type Asked, type Freshness, type Validity } from './pipeline.js'

export type { Freshness } from './pipeline.js'

/** The `catalog` field of every answer: which version, and how old the prices of the region are. */
export interface CatalogStamp {
  version: number
  region: string
  /** The oldest as-of date among the region's prices; null when the catalog has none for the region. */
  pricesAsOf: string | null
  priceAgeDays: number | null
  /** Prices older than PRICE_MAX_AGE_DAYS, or no prices at all for the region. */
  stale: boolean
}

const DAY_MS = 86_400_000

export function catalogStamp(snap: CatalogSnapshot, region: string, f: Freshness): CatalogStamp {
  const r = snap.regionPrices(region)
  if (!r) return { version: snap.version, region, pricesAsOf: null, priceAgeDays: null, stale: true }
  const age = Math.max(0, Math.floor((f.clock().getTime() - Date.parse(r.oldestAsOf)) / DAY_MS))
  return { version: snap.version, region, pricesAsOf: r.oldestAsOf, priceAgeDays: age, stale: age > f.priceMaxAgeDays }
}

/**
 * The time span (ms, by f's clock) around now over which catalogStamp(snap, region, f) stays what it
 * is now: its day count moves once a day, at the oldest price's time of day, and `stale` only ever turns
 * with it; before the prices' own date the count stays 0. A region without prices has one stamp forever.
 * An answer that shows the stamp can be kept for this span.
 */
export function catalogStampValidity(snap: CatalogSnapshot, region: string, f: Freshness): Validity {
  const r = snap.regionPrices(region)
  if (!r) return { from: -Infinity, until: Infinity }
  const asOf = Date.parse(r.oldestAsOf)
  const days = Math.floor((f.clock().getTime() - asOf) / DAY_MS)
  return days < 1 ? { from: -Infinity, until: asOf + DAY_MS } : { from: asOf + days * DAY_MS, until: asOf + (days + 1) * DAY_MS }
}

/**
 * The span over which every region's stamp stays what it is now: what an answer showing any region's
 * freshness (the catalog summary, a GraphQL document) holds for.
 */
export function catalogValidity(snap: CatalogSnapshot, f: Freshness): Validity {
  let v: Validity = { from: -Infinity, until: Infinity }
  for (const r of snap.regions) v = within(v, catalogStampValidity(snap, r.region, f))
  return v
}

/** GET /v1/catalog and GraphQL `catalog`: version, counts, and each region's price freshness. */
export function catalogSummary(snap: CatalogSnapshot, f: Freshness) {
  const regions = snap.regions.map((r) => {
    const stamp = catalogStamp(snap, r.region, f)
    return {
      region: r.region,
      prices: r.prices,
      pricesAsOf: r.oldestAsOf,
      newestAsOf: r.newestAsOf,
      priceAgeDays: stamp.priceAgeDays ?? 0,
      stale: stamp.stale,
      sources: r.sources,
    }
  })
  return {
    version: snap.version,
    createdAt: snap.createdAt,
    source: snap.source,
    instanceTypes: snap.typeList.length,
    prices: snap.regions.reduce((n, r) => n + r.prices, 0),
    priceMaxAgeDays: f.priceMaxAgeDays,
    stale: regions.some((r) => r.stale),
    regions,
  }
}

const camel = (mode: Mode): string => mode.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())

export interface InstanceTypeView extends InstanceType {
  /** false for EC2 Mac instances: they run macOS only and cannot join an EKS cluster. */
  eksNode: boolean
  price: { region: string; usdPerHour: number; source: string; asOf: string } | null
  /** Address-bound max pods per mode (null where the mode cannot run on the type). */
  maxPods: Record<string, number | null>
  /** After the EKS guidance cap (110 up to 30 vCPUs, 250 above). */
  recommendedMaxPods: Record<string, number | null>
}

/** Default-option max pods for every mode of a type; the same for every request, so kept per catalog version. */
export function defaultDensity(a: Asked, it: InstanceType): Record<Mode, MaxPodsResult> {
  return a.memo(`density:${it.name}`, () => maxPodsAllModes(it))
}

export function instanceTypeView(a: Asked, it: InstanceType, region: string): InstanceTypeView {
  return a.memo(`view:${region}:${it.name}`, () => {
    const all = defaultDensity(a, it)
    const p = a.snap.price(region, it.name)
    const max: Record<string, number | null> = {}
    const rec: Record<string, number | null> = {}
    for (const mode of MODES) {
      max[camel(mode)] = all[mode].maxPods
      rec[camel(mode)] = all[mode].recommendedMaxPods
    }
    return {
      ...it,
      eksNode: isEksNode(it),
      price: p ? { region, usdPerHour: p.usdPerHour, source: p.source, asOf: p.asOf } : null,
      maxPods: max,
      recommendedMaxPods: rec,
    }
  })
}

function suggestions(snap: CatalogSnapshot, name: string): string[] {
  const family = name.split('.')[0] ?? ''
  const sameFamily = snap.typeList.filter((t) => t.family === family).map((t) => t.name)
  if (sameFamily.length) return sameFamily.slice(0, 8)
  return snap.typeList
    .map((t) => t.name)
    .filter((n) => n.startsWith(name.slice(0, 2)))
    .slice(0, 8)
}

/** The instance type, or a 404 naming it (with the nearest names the catalog has). */
export function findInstanceType(snap: CatalogSnapshot, name: string, field = 'name'): InstanceType {
  const it = snap.instanceType(name)
  if (it) return it
  const near = suggestions(snap, name)
  const shown = name.length > 60 ? `${name.slice(0, 60)}…` : name
  throw new NotFoundError(
    field,
    `unknown instance type "${shown}" in catalog version ${snap.version}` +
      (near.length ? `; did you mean ${near.join(', ')}?` : '; GET /v1/instance-types lists them'),
  )
}

export function listInstanceTypes(a: Asked, q: { family: string | null; region: string }): InstanceTypeView[] {
  return a.snap.typeList.filter((t) => q.family === null || t.family === q.family).map((t) => instanceTypeView(a, t, q.region))
}

export type MaxPodsQuery = Parsed<typeof MAX_PODS_FIELDS>

export function maxPodsAnswer(a: Asked, name: string, q: MaxPodsQuery, field = 'name'): MaxPodsResult {
  const it = findInstanceType(a.snap, name, field)
  if (q.daemonSetsPerNode === 0 && q.maxPodsCap === null && q.os === 'linux') return defaultDensity(a, it)[q.mode]
  return maxPods(it, q.mode, { daemonSetsPerNode: q.daemonSetsPerNode, maxPodsCap: q.maxPodsCap, os: q.os })
}

export type CapacityQuery = Parsed<typeof CAPACITY_FIELDS>

export interface CapacityPlanAnswer extends CapacityPlan {
  region: string
  totalRows: number
  catalog: CatalogStamp
  references: string[]
}

export const CAPACITY_REFERENCES = [
  'https://github.com/aws/amazon-vpc-cni-k8s/blob/master/docs/eni-and-ip-target.md',
  'https://github.com/aws/amazon-vpc-cni-k8s/blob/master/misc/eni-max-pods.txt',
  'https://karpenter.sh/docs/reference/instance-types/',
  'https://aws.amazon.com/ec2/pricing/on-demand/',
]

export function capacityPlanAnswer(snap: CatalogSnapshot, q: CapacityQuery, f: Freshness): CapacityPlanAnswer {
  if (q.totalPods === null) {
    throw new InputError('totalPods', 'totalPods is required: the number of workload pods in the cluster, a whole number from 1 to 10000000')
  }
  let candidates: InstanceType[]
  if (q.instanceTypes) {
    candidates = q.instanceTypes.map((n) => findInstanceType(snap, n, 'instanceTypes'))
    if (q.family) candidates = candidates.filter((t) => t.family === q.family)
  } else {
    candidates = q.family ? snap.typeList.filter((t) => t.family === q.family) : [...snap.typeList]
  }
  if (candidates.length === 0) {
    throw new NotFoundError('family', `no instance type of family "${q.family}" in the catalog`)
  }
  const warm: Record<string, number> = {}
  for (const k of ['warmEniTarget', 'warmIpTarget', 'minimumIpTarget', 'warmPrefixTarget'] as const) {
    if (q[k] !== null) warm[k] = q[k]
  }
  const prices = snap.pricesIn(q.region)
  const plan = capacityPlan(
    {
      totalPods: q.totalPods,
      mode: q.mode,
      podCpuMilli: Math.max(1, Math.round(q.podCpu * 1000)),
      podMemoryMiB: q.podMemoryMiB,
      daemonSetsPerNode: q.daemonSetsPerNode,
      maxPodsCap: q.maxPodsCap,
      os: q.os,
      ...warm,
    },
    candidates,
    (name) => prices?.get(name)?.usdPerHour ?? null,
  )
  const rows = q.limit !== null ? plan.rows.slice(0, q.limit) : plan.rows
  return {
    ...plan,
    rows,
    region: q.region,
    totalRows: plan.rows.length,
    catalog: catalogStamp(snap, q.region, f),
    references: CAPACITY_REFERENCES,
  }
}
