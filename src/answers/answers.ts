// The answers every door gives: the catalog snapshot plus the pure domain engines, shaped as the
// contract says. REST, GraphQL and Slack call these and only render; nothing here knows about HTTP.
import type { CatalogSnapshot } from '../catalog/snapshot.js'
import { capacityPlan, rankCapacityRows, type CapacityPlan, type CapacityRow, type PlanRanking } from '../domain/capacity.js'
import { isEksNode, maxPods, maxPodsAllModes, type MaxPodsResult } from '../domain/density.js'
import { show, type Parsed } from '../domain/fields.js'
import { describeFilter, filterFields, filterOf, matchesFilter, type TypeFilter } from '../domain/type-filters.js'
import { compareTypeNames, nearestNames, naturalCompare } from '../domain/type-names.js'
import { MODES, NotFoundError, type CapacityType, type InstanceType, type Mode } from '../domain/types.js'
import type { CAPACITY_FIELDS, INSTANCE_TYPES_FIELDS, MAX_PODS_FIELDS, PAGE_FIELDS } from './inputs.js'
import { InputError } from '../domain/types.js'
import { within, type Asked, type Freshness, type Validity } from './pipeline.js'
import { gp3Of, kindPrices, refreshHint } from './prices.js'
import { asksOverhead, NODE_COST_REFERENCES, overheadExplanation, rowOverhead, type ClusterFee, type OverheadInput, type RowOverhead } from '../domain/node-costs.js'

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
      // Per price kind: how many types, and when (issue 20); the kinds a region lacks are absent.
      byCapacityType: Object.fromEntries(
        Object.entries(r.byCapacityType).map(([kind, k]) => [kind, { prices: k.prices, pricesAsOf: k.oldestAsOf, newestAsOf: k.newestAsOf, sources: k.sources }]),
      ),
      gp3: r.gp3 ? { usdPerGbMonth: r.gp3.usdPerGbMonth, source: r.gp3.source, asOf: r.gp3.asOf } : null,
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
  /** The asked kind of price (capacityType) in the region, with its source and date. */
  price: { region: string; capacityType: CapacityType; usdPerHour: number; source: string; asOf: string } | null
  /** Address-bound max pods per mode (null where the mode cannot run on the type). */
  maxPods: Record<string, number | null>
  /** After the EKS guidance cap (110 up to 30 vCPUs, 250 above). */
  recommendedMaxPods: Record<string, number | null>
}

/** Default-option max pods for every mode of a type; the same for every request, so kept per catalog version. */
export function defaultDensity(a: Asked, it: InstanceType): Record<Mode, MaxPodsResult> {
  return a.memo(`density:${it.name}`, () => maxPodsAllModes(it))
}

export function instanceTypeView(a: Asked, it: InstanceType, region: string, capacityType: CapacityType = 'on-demand'): InstanceTypeView {
  return a.memo(`view:${region}:${capacityType}:${it.name}`, () => {
    const all = defaultDensity(a, it)
    const p = a.snap.price(region, it.name, capacityType)
    const max: Record<string, number | null> = {}
    const rec: Record<string, number | null> = {}
    for (const mode of MODES) {
      max[camel(mode)] = all[mode].maxPods
      rec[camel(mode)] = all[mode].recommendedMaxPods
    }
    return {
      ...it,
      eksNode: isEksNode(it),
      price: p ? { region, capacityType, usdPerHour: p.usdPerHour, source: p.source, asOf: p.asOf } : null,
      maxPods: max,
      recommendedMaxPods: rec,
    }
  })
}

/** A catalog version's names in list order, worked out once per version (a reference list, a few kB). */
interface Names {
  /** Every type, by family then size as AWS lists them (compareTypeNames): the order of every list. */
  types: readonly InstanceType[]
  typeNames: readonly string[]
  families: readonly string[]
  familySet: ReadonlySet<string>
  /** Each type's place in that order: plans rank by it instead of comparing names (rankCapacityRows). */
  placeOf: (name: string) => number
}
const namesOf = new WeakMap<CatalogSnapshot, Names>()

export function catalogNames(snap: CatalogSnapshot): Names {
  let n = namesOf.get(snap)
  if (n === undefined) {
    const types = [...snap.typeList].sort((a, b) => compareTypeNames(a.name, b.name))
    const families = [...new Set(types.map((t) => t.family))].sort(naturalCompare)
    const place = new Map(types.map((t, i) => [t.name, i]))
    n = { types, typeNames: types.map((t) => t.name), families, familySet: new Set(families), placeOf: (name) => place.get(name)! }
    namesOf.set(snap, n)
  }
  return n
}

/** Every instance type of the catalog version in list order (by family, then by size). */
export function orderedTypes(snap: CatalogSnapshot): readonly InstanceType[] {
  return catalogNames(snap).types
}

const clipName = (name: string) => (name.length > 60 ? `${name.slice(0, 60)}…` : name)

/** The instance type, or a 404 naming it (with the names nearest by edit distance). */
export function findInstanceType(snap: CatalogSnapshot, name: string, field = 'name'): InstanceType {
  const it = snap.instanceType(name)
  if (it) return it
  throw new NotFoundError(field, unknownTypeMessage(snap, name))
}

/** "unknown instance type "m5.larg" in catalog version 3; did you mean m5.large, m5.xlarge?" */
export function unknownTypeMessage(snap: CatalogSnapshot, name: string): string {
  const near = nearestNames(name, catalogNames(snap).typeNames)
  return (
    `unknown instance type "${clipName(name)}" in catalog version ${snap.version}` +
    (near.length ? `; did you mean ${near.join(', ')}?` : '; GET /v1/instance-types lists them')
  )
}

/** A family the catalog has, or a 404 naming it with the nearest families by edit distance. */
export function requireFamily(snap: CatalogSnapshot, family: string, field = 'family'): void {
  const names = catalogNames(snap)
  if (names.familySet.has(family)) return
  const near = nearestNames(family, names.families, 5, naturalCompare)
  throw new NotFoundError(
    field,
    `unknown instance family "${clipName(family)}" in catalog version ${snap.version}` +
      (near.length ? `; did you mean ${near.join(', ')}?` : `; the families are ${names.families.slice(0, 12).join(', ')}, … (GET /v1/instance-types lists the types)`),
  )
}

export type InstanceTypesQuery = Parsed<typeof INSTANCE_TYPES_FIELDS>

/** The catalog's types that meet the query's filters, in list order; an unknown family is a 404. */
export function listInstanceTypes(a: Asked, q: InstanceTypesQuery): InstanceTypeView[] {
  const f = filterOf(q)
  if (f.family !== null) requireFamily(a.snap, f.family)
  const out: InstanceTypeView[] = []
  for (const t of orderedTypes(a.snap)) if (matchesFilter(t, f)) out.push(instanceTypeView(a, t, q.region, q.capacityType))
  return out
}

// ---------------------------------------------------------------------------------------------
// Pages of a list
// ---------------------------------------------------------------------------------------------

export type PageQuery = Parsed<typeof PAGE_FIELDS>

export interface Page<T> {
  items: T[]
  /** Give it as `cursor` for the next page; null on the last page. */
  nextCursor: string | null
  /** Items of the whole (filtered) list. */
  totalItems: number
  limit: number
}

// A cursor is the name of the last item shown, so the next page starts after it in list order: it
// survives a new catalog version (a removed type still has its place in the order) and any filter.
const CURSOR_PREFIX = 'after:'

export function encodeCursor(lastName: string): string {
  return Buffer.from(CURSOR_PREFIX + lastName, 'utf8').toString('base64url')
}

function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  const name = text.startsWith(CURSOR_PREFIX) ? text.slice(CURSOR_PREFIX.length) : ''
  if (!/^[a-z0-9][a-z0-9.-]{0,99}$/.test(name)) {
    throw new InputError('cursor', `cursor must be the nextCursor of an earlier page (or absent for the first page); got ${show(cursor)}`)
  }
  return name
}

/** One page of a list kept in list order (compareTypeNames on `name`). */
export function pageOf<T extends { name: string }>(all: readonly T[], q: PageQuery): Page<T> {
  let start = 0
  if (q.cursor !== null) {
    const after = decodeCursor(q.cursor)
    // The first item after the cursor's name: a binary search, as the list is in that order.
    let lo = 0
    let hi = all.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareTypeNames(all[mid]!.name, after) <= 0) lo = mid + 1
      else hi = mid
    }
    start = lo
  }
  const items = all.slice(start, start + q.limit)
  const more = start + items.length < all.length
  return { items, nextCursor: more && items.length > 0 ? encodeCursor(items[items.length - 1]!.name) : null, totalItems: all.length, limit: q.limit }
}

export type MaxPodsQuery = Parsed<typeof MAX_PODS_FIELDS>

export function maxPodsAnswer(a: Asked, name: string, q: MaxPodsQuery, field = 'name'): MaxPodsResult {
  const it = findInstanceType(a.snap, name, field)
  if (q.daemonSetsPerNode === 0 && q.maxPodsCap === null && q.os === 'linux') return defaultDensity(a, it)[q.mode]
  return maxPods(it, q.mode, { daemonSetsPerNode: q.daemonSetsPerNode, maxPodsCap: q.maxPodsCap, os: q.os })
}

export type CapacityQuery = Parsed<typeof CAPACITY_FIELDS>

/** What a plan's prices are and how many of its types have one: the answer says so before any claim. */
export interface PlanPricing {
  region: string
  /** The kind of price in the cost columns (on-demand Linux, per hour). */
  capacityType: CapacityType
  /** Distinct instance types that can serve the workload (in at least one of the plan's modes)… */
  types: number
  /** …and how many of them have a price in the region. */
  priced: number
  /** Every type that can serve has a price: only then is the first row "the cheapest". */
  complete: boolean
  ranking: PlanRanking
  /** "38 of 40 types priced in eu-west-1 (on-demand)". */
  summary: string
  /** What to do about missing prices (a refresh), or null when none are missing. */
  hint: string | null
  /** Where the region's prices of this kind come from (e.g. aws-pricing-api, aws-ec2-spot-price-history); empty when it has none. */
  sources: string[]
  /** The oldest of those prices (ISO time), or null when the region has none of this kind. */
  asOf: string | null
}

export interface CapacityPlanAnswer extends Omit<CapacityPlan, 'input'> {
  input: CapacityPlan['input'] & { modes: Mode[]; podsPerNode: number | null; ebsGiB: number | null; clusterFee: ClusterFee | null }
  /** With ebsGiB or clusterFee, every row also has ebsMonthlyUsd, clusterFeeMonthlyUsd and totalMonthlyUsd. */
  rows: Array<CapacityRow & Partial<Omit<RowOverhead, 'formula'>>>
  /** The modes compared, in the order asked (one row per instance type and mode). */
  modes: Mode[]
  /** The filters applied to the candidate types, with what was assumed (a whole-catalog plan: arch amd64). */
  filters: TypeFilter
  region: string
  totalRows: number
  pricing: PlanPricing
  /** What was assumed that the question did not say. */
  assumptions: string[]
  /** How the rows are ordered and what the prices allow to be said. */
  explanation: string
  catalog: CatalogStamp
  references: string[]
}

export const CAPACITY_REFERENCES = [
  'https://github.com/aws/amazon-vpc-cni-k8s/blob/master/docs/eni-and-ip-target.md',
  'https://github.com/aws/amazon-vpc-cni-k8s/blob/master/misc/eni-max-pods.txt',
  'https://karpenter.sh/docs/reference/instance-types/',
  'https://karpenter.sh/docs/concepts/scheduling/#well-known-labels',
  'https://aws.amazon.com/ec2/pricing/on-demand/',
]

/**
 * The one place a plan reads prices: per instance type, $/hour in the question's region, or null.
 * (Capacity types, storage and fees are read here too when they come.)
 */
export interface PlanPrices {
  capacityType: PlanPricing['capacityType']
  priceOf: (name: string) => number | null
  sources: string[]
  asOf: string | null
}

export function planPrices(snap: CatalogSnapshot, q: CapacityQuery): PlanPrices {
  const prices = kindPrices(snap, q.region, q.capacityType)
  return { capacityType: q.capacityType, priceOf: prices.priceOf, sources: prices.sources, asOf: prices.asOf }
}

/** The candidate types of a plan: the listed ones, or the family's, or the whole catalog; then the filters. */
function planCandidates(snap: CatalogSnapshot, q: CapacityQuery): { candidates: InstanceType[]; filter: TypeFilter; assumptions: string[] } {
  let filter = filterOf(q)
  const assumptions: string[] = []
  if (filter.family !== null) requireFamily(snap, filter.family)
  let pool: readonly InstanceType[]
  if (q.instanceTypes) {
    pool = q.instanceTypes.map((n) => findInstanceType(snap, n, 'instanceTypes'))
  } else {
    if (filter.family === null && filter.arch === null) {
      // Mixing arm64 and amd64 types in one ranking compares nodes that cannot run the same images.
      filter = { ...filter, arch: 'amd64' }
      assumptions.push('No instanceTypes or family asked: the whole catalog, amd64 types only (arch=arm64 for Graviton, arch=any for both).')
    }
    pool = orderedTypes(snap)
  }
  const candidates = pool.filter((t) => matchesFilter(t, filter))
  if (candidates.length === 0) {
    const fields = filterFields(filter)
    // Name the family when it alone leaves nothing of the listed types; else the first filter set.
    const familyAlone = filter.family !== null && !pool.some((t) => t.family === filter.family)
    const field = familyAlone ? 'family' : (fields.find((f) => f !== 'family') ?? 'family')
    const of = q.instanceTypes ? 'of instanceTypes' : 'in the catalog'
    throw new NotFoundError(field, `no instance type ${of} matches ${describeFilter(filter)} (catalog version ${snap.version})`)
  }
  return { candidates, filter, assumptions }
}

/** The plan's pricing in one sentence or two, for a table's pricing column and a Slack line: what is priced, from where, as of when, and what to do about the rest. */
export function pricingText(p: PlanPricing): string {
  const basis = p.asOf === null ? '' : `; prices: ${p.sources.join(', ')}, as of ${p.asOf.slice(0, 10)}`
  return `${p.summary}${basis}.${p.hint === null ? '' : ` ${p.hint}`}`
}

function pricingOf(rows: readonly CapacityRow[], region: string, prices: PlanPrices): PlanPricing {
  const { capacityType } = prices
  const serving = new Set<string>()
  const priced = new Set<string>()
  for (const r of rows) {
    if (r.reason !== null) continue
    serving.add(r.instanceType)
    if (r.usdPerHour !== null) priced.add(r.instanceType)
  }
  const types = serving.size
  const n = priced.size
  const complete = n === types
  const ranking: PlanRanking = n === 0 && types > 0 ? 'nodes' : 'cost'
  return {
    region,
    capacityType,
    types,
    priced: n,
    complete,
    ranking,
    summary: `${n} of ${types} ${types === 1 ? 'type' : 'types'} priced in ${region} (${capacityType})`,
    hint: complete
      ? null
      : `The catalog has no ${capacityType} price in ${region} for ${types - n} of these types: ${refreshHint(capacityType, region)}.`,
    sources: [...prices.sources],
    asOf: prices.asOf,
  }
}

const article = (word: string) => (/^[aeiou]/i.test(word) ? 'an' : 'a')

function planExplanation(p: PlanPricing): string {
  if (p.types === 0) return 'No instance type here can serve this workload as asked: each row says why.'
  if (p.ranking === 'nodes') {
    return `No type here has ${article(p.capacityType)} ${p.capacityType} price in ${p.region} (${p.summary}), so the rows are ranked by nodes, fewest first, and no cost is given. ${p.hint}`
  }
  if (!p.complete) {
    return `${p.summary}: the priced rows are ranked by monthly cost, then the unpriced ones by nodes; a type without a price may be cheaper than the first row. ${p.hint}`
  }
  return `Every type here is priced in ${p.region} (${p.capacityType}): rows ranked by monthly cost (nodes × $/hour × 730 h), cheapest first.`
}

export function capacityPlanAnswer(snap: CatalogSnapshot, q: CapacityQuery, f: Freshness): CapacityPlanAnswer {
  if (q.totalPods === null) {
    throw new InputError('totalPods', 'totalPods is required: the number of workload pods in the cluster, a whole number from 1 to 10000000')
  }
  if (q.mode !== null && q.modes !== null) {
    throw new InputError('modes', `give mode (one) or modes (several, comma-separated), not both; got mode=${q.mode} and modes=${q.modes.join(',')}`)
  }
  const modes: Mode[] = q.modes ? (q.modes as Mode[]) : [q.mode ?? 'secondary-ip']
  const { candidates, filter, assumptions } = planCandidates(snap, q)
  const warm: Record<string, number> = {}
  for (const k of ['warmEniTarget', 'warmIpTarget', 'minimumIpTarget', 'warmPrefixTarget'] as const) {
    if (q[k] !== null) warm[k] = q[k]
  }
  const prices = planPrices(snap, q)
  // Every candidate is one of the catalog's types (planCandidates), so each has a place in its list order.
  const { placeOf } = catalogNames(snap)
  const plans = modes.map((mode) =>
    capacityPlan(
      {
        totalPods: q.totalPods!,
        mode,
        podCpuMilli: Math.max(1, Math.round(q.podCpu * 1000)),
        podMemoryMiB: q.podMemoryMiB,
        daemonSetsPerNode: q.daemonSetsPerNode,
        maxPodsCap: q.maxPodsCap,
        os: q.os,
        capacityType: q.capacityType,
        minPodsPerNode: q.podsPerNode,
        ...warm,
      },
      candidates,
      prices.priceOf,
      placeOf,
    ),
  )
  const all = plans.length === 1 ? plans[0]!.rows : plans.flatMap((p) => p.rows)
  const pricing = pricingOf(all, q.region, prices)
  const ranked = plans.length === 1 && pricing.ranking === 'cost' ? all : rankCapacityRows(all, pricing.ranking, placeOf)
  const limited = q.limit !== null ? ranked.slice(0, q.limit) : ranked
  // Node overhead (ebsGiB, clusterFee) in columns of its own beside the node cost, only when asked.
  const gp3 = gp3Of(snap, q.region)
  const overhead: OverheadInput = { ebsGiB: q.ebsGiB, gp3UsdPerGbMonth: gp3?.usdPerGbMonth ?? null, clusterFee: q.clusterFee }
  const asked = asksOverhead(overhead)
  const rows: CapacityPlanAnswer['rows'] = asked ? limited.map((r) => withOverhead(r, overhead)) : limited
  const overheadWords = overheadExplanation(overhead, q.region, gp3)
  return {
    input: { ...plans[0]!.input, modes, podsPerNode: q.podsPerNode, ebsGiB: q.ebsGiB, clusterFee: q.clusterFee },
    modes,
    filters: filter,
    rows,
    region: q.region,
    totalRows: ranked.length,
    pricing,
    assumptions,
    explanation: overheadWords === null ? planExplanation(pricing) : `${planExplanation(pricing)} ${overheadWords}`,
    catalog: catalogStamp(snap, q.region, f),
    references: asked ? [...CAPACITY_REFERENCES, ...NODE_COST_REFERENCES] : CAPACITY_REFERENCES,
  }
}

/** A plan row with its overhead columns; the row's formula gains the overhead's working. */
function withOverhead(r: CapacityRow, o: OverheadInput): CapacityRow & RowOverhead {
  const extra = rowOverhead(r.nodes, r.monthlyUsd, o)
  return { ...r, ...extra, formula: extra.formula === '' ? r.formula : `${r.formula}; ${extra.formula}` }
}
