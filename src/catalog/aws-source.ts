// Fetches a fresh catalog from AWS: network limits, and per region the on-demand, spot and 1-year
// reserved Linux prices and the gp3 storage price.
// No database access here: the caller decides whether and how to store what comes back,
// and a rejection means "write nothing" (a half-read region would silently drop types).
//
// Sources:
//  - the regions: Price List GetAttributeValues (AmazonEC2, regionCode), kept to the commercial partition
//    (AWS_COMMERCIAL_REGION), and EC2 DescribeRegions for which of them the account has enabled;
//  - on-demand and reserved prices: Price List GetProducts with the filter set Karpenter uses
//    (aws/karpenter-provider-aws:pkg/providers/pricing/pricing.go); one product document carries both its
//    OnDemand and its Reserved terms, so both come from the same pages;
//  - spot prices: EC2 DescribeSpotPriceHistory, Linux/UNIX, StartTime now (AWS then returns the price in
//    effect now, per type and AZ; the same call Karpenter's spot pricing makes);
//  - gp3: Price List GetProducts, productFamily Storage, volumeApiName gp3 (unit GB-Mo);
//  - limits: EC2 DescribeInstanceTypes.
// Endpoints come from the SDK's standard chain, so AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_PRICING and
// AWS_ENDPOINT_URL_EC2 work without code here.

// The SDK clients are loaded when a refresh first runs, not at start-up: together they hold ~70 MiB,
// and most replicas never refresh (a CronJob does).
//
// Nothing here may wait for ever, nor read for ever: the clients built here get connection, request and
// socket-idle timeouts; every call takes the caller's AbortSignal (the refresh deadline,
// REFRESH_TIMEOUT_SECONDS), which the SDK honours while a request is in flight and while it waits between
// retries; every paginated call stops with an error past a page cap (MAX_PAGES) far above what AWS
// returns, so a runaway NextToken cannot hold a refresh until its deadline.
import type { Filter, PricingClient, PricingClientConfig } from '@aws-sdk/client-pricing'
import type { EC2Client, InstanceTypeInfo, SpotPrice } from '@aws-sdk/client-ec2'
import type { InstanceType, Price, StoragePrice } from '../domain/types.js'
import { Interner } from './interner.js'

export interface AwsSourceLog {
  info(o: object, m?: string): void
  warn(o: object, m?: string): void
}

export interface AwsSourceOptions {
  /** Used for every region (the Price List API endpoint region is unrelated to the priced region). */
  pricingClient?: PricingClient
  ec2ClientFor?: (region: string) => EC2Client
  log?: AwsSourceLog
  /** SDK attempts per call, the first one included (standard retry mode; default 5). */
  maxAttempts?: number
  /** Retry strategy for the clients built here (tests pass one with tiny delays). */
  retryStrategy?: PricingClientConfig['retryStrategy']
  /** Clock for `Price.asOf`. */
  now?: () => Date
  /** Stops every call at once (the refresh deadline): the SDK destroys the request in flight and skips
   * the retries left. Passed to each `client.send`, so it works on injected clients too. */
  abortSignal?: AbortSignal
  /** Clients built here: how long a TCP (and TLS) connection may take to open. Default 5 s. */
  connectionTimeoutMs?: number
  /** Clients built here: how long one request may wait for its answer, and how long the answer may
   * then stall. Default 30 s. Each retry gets its own; the whole run has the caller's deadline. */
  requestTimeoutMs?: number
  /** How many regions fetchCatalog reads at once (each region's calls run one after the other).
   * Default DEFAULT_REGION_CONCURRENCY. */
  regionConcurrency?: number
  /** The region asked which regions the account has enabled (EC2 DescribeRegions). Default us-east-1. */
  homeRegion?: string
  /** Overrides every call's page cap (MAX_PAGES), for tests. */
  maxPages?: number
}

/** What DescribeInstanceTypes can tell. Trunking and branch ENIs are in no AWS API (they come from the
 * resource controller's generated table), so they are left out: the caller keeps the seed's values. */
export type AwsInstanceType = Omit<InstanceType, 'trunking' | 'branchEnis'>

/** reason → count */
export type SkipCounts = Record<string, number>

export interface PricesResult {
  prices: Price[]
  skipped: SkipCounts
  pages: number
}

export interface InstanceTypesResult {
  instanceTypes: AwsInstanceType[]
  skipped: SkipCounts
  pages: number
}

export interface CatalogResult {
  /** The regions priced: those asked for, or (asked for ALL_REGIONS) every commercial region the Price
   * List API knows. Absent (a fetch injected in a test): the regions asked for. */
  regions?: string[]
  instanceTypes: AwsInstanceType[]
  /** On-demand, reserved-1y and spot rows together (capacityType says which; absent = on-demand). */
  prices: Price[]
  /** Each region's gp3 price, where the Price List API has one. */
  storagePrices?: StoragePrice[]
  /** Regions priced from the Price List API only: the account has not enabled them, so EC2 (instance
   * types, spot prices) cannot be asked there. */
  notEnabled?: string[]
  skipped: SkipCounts
  pages: number
}

/** What fetchCatalog is asked for instead of a list: every commercial region the Price List API knows. */
export const ALL_REGIONS = 'all'

export const PRICE_SOURCE = 'aws-pricing-api'
export const SPOT_PRICE_SOURCE = 'aws-ec2-spot-price-history'
const DEFAULT_MAX_ATTEMPTS = 5
/** GetProducts and GetAttributeValues take MaxResults 1-100, DescribeInstanceTypes 5-100
 * (https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetProducts.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypes.html); the largest page each allows. */
const PAGE_SIZE = 100
/** DescribeSpotPriceHistory pages: 1000, the largest (and default) MaxResults the EC2 API reference gives
 * for this call (Valid Range 5-1000; not re-checked against the stored docs here). */
export const SPOT_PAGE_SIZE = 1000
/** Regions read at once. Price List calls share one account-wide token bucket (10, refilled 5/s:
 * ecosystem.md "Throttling"); four regions reading pages of about a second each stay under it, and a
 * throttled call is retried by the SDK anyway. EC2 limits are per region, so they do not add up. */
export const DEFAULT_REGION_CONCURRENCY = 4
/** The most pages one paginated call may take. Each is several times what AWS returns today: a region
 * has about 1,000 shared-tenancy Linux products (10 pages), 1,000 instance types (10 pages), and a spot
 * price per type and AZ (about 6,000: 6 pages); the Price List API lists a few hundred region codes,
 * Local and Wavelength Zones included. Past the cap the call fails and nothing is written. */
export const MAX_PAGES = { getProducts: 100, describeInstanceTypes: 50, spotPriceHistory: 100, getAttributeValues: 20 } as const
/** A TCP connection to an AWS endpoint opens in milliseconds; 5 s means it is not going to. */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000
/** A page of GetProducts (100 products, ~300 kB) or DescribeInstanceTypes answers in about a second. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000

/**
 * The HTTP handler options of the clients built here. A plain object given as `requestHandler` is
 * handed to NodeHttpHandler.create() by the clients' runtime config (@aws-sdk/client-ec2 and
 * client-pricing dist-es/runtimeConfig.js). Names and meaning from @smithy/types
 * dist-types/http/httpHandlerInitialization.d.ts (NodeHttpHandlerOptions) and their use in
 * @smithy/node-http-handler 4.14 dist-es/node-http-handler.js:
 *  - connectionTimeout: the socket must connect within it (set-connection-timeout.js);
 *  - requestTimeout: the answer's headers must arrive within it; it only *warns* unless
 *    throwOnRequestTimeout is true, then it destroys the request with a TimeoutError
 *    (set-request-timeout.js);
 *  - socketTimeout: the socket may sit idle this long, which also covers an answer that stalls after
 *    its headers (set-socket-timeout.js).
 * A TimeoutError is retried by the standard retry strategy like any transient error.
 */
export function httpHandlerOptions(opts: Pick<AwsSourceOptions, 'connectionTimeoutMs' | 'requestTimeoutMs'> = {}) {
  const requestTimeout = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
  return {
    connectionTimeout: opts.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    requestTimeout,
    throwOnRequestTimeout: true,
    socketTimeout: requestTimeout,
  }
}

/** The second argument of every `client.send` made here (the paginators pass it on). */
function sendOptions(opts: AwsSourceOptions): [] | [{ abortSignal: AbortSignal }] {
  return opts.abortSignal ? [{ abortSignal: opts.abortSignal }] : []
}

const silentLog: AwsSourceLog = { info() {}, warn() {} }

/** The Price List Query API is served from three regions only; pick the nearest. */
export function pricingEndpointRegion(region: string): 'us-east-1' | 'eu-central-1' | 'ap-south-1' {
  if (region.startsWith('cn-') || region.startsWith('us-gov-')) {
    throw new Error(
      `no AWS Price List endpoint serves ${region}: the China and GovCloud partitions are not supported by this refresh`,
    )
  }
  if (region.startsWith('ap-')) return 'ap-south-1'
  if (region.startsWith('eu-')) return 'eu-central-1'
  return 'us-east-1'
}

/** A page cap was passed: AWS kept answering with a NextToken. */
class TooManyPagesError extends Error {
  constructor(what: string, cap: number) {
    super(`${what} returned more than ${cap} pages; stopped there (MAX_PAGES)`)
    this.name = 'TooManyPagesError'
  }
}

function pageCap(opts: AwsSourceOptions, call: keyof typeof MAX_PAGES): number {
  return opts.maxPages ?? MAX_PAGES[call]
}

function count(skipped: SkipCounts, reason: string, n = 1): void {
  skipped[reason] = (skipped[reason] ?? 0) + n
}

function addCounts(into: SkipCounts, from: SkipCounts): void {
  for (const [reason, n] of Object.entries(from)) count(into, reason, n)
}

/** Says which call failed, on which page. A call stopped by the caller's signal is named AbortError
 * and says only where it was stopped (the caller knows why). */
function wrapFailure(what: string, region: string, page: number, err: unknown, signal?: AbortSignal): Error {
  if (signal?.aborted) {
    const stopped = new Error(`${what} for ${region} was stopped on page ${page}`, { cause: err })
    stopped.name = 'AbortError'
    return stopped
  }
  const e = err as { name?: string; message?: string }
  return new Error(`${what} for ${region} failed on page ${page}: ${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`, {
    cause: err,
  })
}

// ---------------------------------------------------------------- prices

function baseFilters(region: string): Filter[] {
  return [
    { Type: 'TERM_MATCH', Field: 'regionCode', Value: region },
    { Type: 'TERM_MATCH', Field: 'operatingSystem', Value: 'Linux' },
    { Type: 'TERM_MATCH', Field: 'preInstalledSw', Value: 'NA' },
    { Type: 'TERM_MATCH', Field: 'capacitystatus', Value: 'Used' },
    { Type: 'TERM_MATCH', Field: 'marketoption', Value: 'OnDemand' },
  ]
}

// Karpenter's two queries: bare metal is only sold as dedicated tenancy, under its own product family.
const PRICE_QUERIES = [
  { name: 'shared', tenancy: 'Shared', productFamily: 'Compute Instance' },
  { name: 'bare-metal', tenancy: 'Dedicated', productFamily: 'Compute Instance (bare metal)' },
] as const

/** A product document's prices: its on-demand price, and, where it has one, its 1-year standard no-upfront
 * reserved rate (`reservedUsd`), or why its reserved terms could not be used (`reservedSkip`). */
type ParsedPrice =
  | { ok: true; instanceType: string; usd: string; reservedUsd?: string; reservedSkip?: string }
  | { ok: false; reason: string }

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}

/** A PriceList element as a parsed document: a JSON string, or (current SDKs) a LazyJsonString, a
 * `String` object, or already an object. Null when it is none of these. */
function priceListDocument(entry: unknown): Record<string, unknown> | null {
  let doc: unknown
  if (typeof entry === 'string' || entry instanceof String) {
    try {
      doc = JSON.parse(String(entry))
    } catch {
      return null
    }
  } else {
    doc = entry
  }
  return isRecord(doc) ? doc : null
}

const DECIMAL = /^\d+(\.\d+)?$/

/** The first usable USD price among a term's dimensions (optionally only those of one unit), or why none. */
function termPrice(terms: unknown, unit?: RegExp): { ok: true; usd: string } | { ok: false; reason: 'bad-price' | 'zero-price' | 'non-usd' | 'none' } {
  let sawDimension = false
  let firstBad: 'bad-price' | 'zero-price' | null = null
  // Term and dimension codes (JRTCKXETXF, 6YS6EN2CT7) are not hard-coded: walk whatever is there.
  for (const term of isRecord(terms) ? Object.values(terms) : []) {
    const dims = isRecord(term) ? term['priceDimensions'] : undefined
    if (!isRecord(dims)) continue
    for (const dim of Object.values(dims)) {
      if (!isRecord(dim)) continue
      if (unit && !(typeof dim['unit'] === 'string' && unit.test(dim['unit']))) continue
      const perUnit = dim['pricePerUnit']
      if (!isRecord(perUnit)) continue
      sawDimension = true
      const usd = perUnit['USD']
      if (usd === undefined) continue
      if (typeof usd !== 'string' || !DECIMAL.test(usd.trim())) {
        firstBad ??= 'bad-price'
        continue
      }
      if (Number(usd) === 0) {
        firstBad ??= 'zero-price'
        continue
      }
      return { ok: true, usd: usd.trim() }
    }
  }
  if (firstBad) return { ok: false, reason: firstBad }
  return { ok: false, reason: sawDimension ? 'non-usd' : 'none' }
}

/** The reserved term this catalog holds (termAttributes as the Price List API names them). */
const RESERVED_1Y = { LeaseContractLength: '1yr', OfferingClass: 'standard', PurchaseOption: 'No Upfront' } as const

/**
 * The 1-year standard no-upfront rate from a document's `terms.Reserved`: the term whose termAttributes
 * say so, its hourly ("Hrs") dimension. No such term (types sold on demand only): undefined, not a skip.
 * A no-upfront term with a non-zero fee in another dimension ("Upfront Fee", unit Quantity) is not what
 * it says, and is skipped as 'reserved-upfront-fee'.
 */
export function parseReserved1y(reserved: unknown): { ok: true; usd: string } | { ok: false; reason: string } | undefined {
  if (!isRecord(reserved)) return undefined
  const matching = Object.values(reserved).filter((term) => {
    const attrs = isRecord(term) ? term['termAttributes'] : undefined
    return isRecord(attrs) && Object.entries(RESERVED_1Y).every(([k, v]) => attrs[k] === v)
  })
  if (matching.length === 0) return undefined
  const term = matching[0] as Record<string, unknown>
  const dims = isRecord(term['priceDimensions']) ? Object.values(term['priceDimensions']) : []
  const fee = dims.some((d) => {
    if (!isRecord(d) || (typeof d['unit'] === 'string' && /^hrs$/i.test(d['unit']))) return false
    const usd = isRecord(d['pricePerUnit']) ? d['pricePerUnit']['USD'] : undefined
    return typeof usd === 'string' && DECIMAL.test(usd.trim()) && Number(usd) > 0
  })
  if (fee) return { ok: false, reason: 'reserved-upfront-fee' }
  const hourly = termPrice({ term }, /^hrs$/i)
  if (hourly.ok) return hourly
  return { ok: false, reason: hourly.reason === 'none' ? 'reserved-no-hourly-rate' : `reserved-${hourly.reason}` }
}

/** One PriceList element: a JSON string, or (current SDKs) a LazyJsonString, a `String` object. */
export function parsePriceListEntry(entry: unknown): ParsedPrice {
  const doc = priceListDocument(entry)
  if (!doc) return { ok: false, reason: 'bad-json' }

  const product = doc['product']
  const attributes = isRecord(product) ? product['attributes'] : undefined
  const instanceType = isRecord(attributes) ? attributes['instanceType'] : undefined
  if (typeof instanceType !== 'string' || instanceType.trim() === '') return { ok: false, reason: 'no-instance-type' }

  const terms = doc['terms']
  const onDemand = isRecord(terms) ? terms['OnDemand'] : undefined
  if (!isRecord(onDemand) || Object.keys(onDemand).length === 0) return { ok: false, reason: 'no-ondemand-term' }
  const price = termPrice(onDemand)
  if (!price.ok) return { ok: false, reason: price.reason === 'none' ? 'no-ondemand-term' : price.reason }

  const reserved = parseReserved1y(isRecord(terms) ? terms['Reserved'] : undefined)
  return {
    ok: true,
    instanceType: instanceType.trim(),
    usd: price.usd,
    ...(reserved?.ok ? { reservedUsd: reserved.usd } : {}),
    ...(reserved && !reserved.ok ? { reservedSkip: reserved.reason } : {}),
  }
}

async function defaultPricingClient(region: string, opts: AwsSourceOptions): Promise<PricingClient> {
  const { PricingClient } = await import('@aws-sdk/client-pricing')
  return new PricingClient({
    region: pricingEndpointRegion(region),
    maxAttempts: opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    requestHandler: httpHandlerOptions(opts),
    ...(opts.retryStrategy ? { retryStrategy: opts.retryStrategy } : {}),
  })
}

/**
 * A region's on-demand prices and, from the same product documents, its 1-year standard no-upfront
 * reserved rates (rows with capacityType 'reserved-1y'). A reserved rate is kept only with the on-demand
 * price of the same document: a type is priced reserved only where it is priced on demand.
 */
export async function fetchPrices(region: string, opts: AwsSourceOptions = {}): Promise<PricesResult> {
  pricingEndpointRegion(region) // fails fast on partitions the API does not serve
  const log = opts.log ?? silentLog
  const owned = opts.pricingClient ? null : await defaultPricingClient(region, opts)
  const { paginateGetProducts } = await import('@aws-sdk/client-pricing')
  const client = opts.pricingClient ?? (owned as PricingClient)
  const asOf = (opts.now?.() ?? new Date()).toISOString()
  const skipped: SkipCounts = {}
  const byType = new Map<string, { usd: string; reservedUsd?: string }>()
  const cap = pageCap(opts, 'getProducts')
  let pages = 0

  try {
    // Sequential on purpose: GetProducts has a token bucket of 10, refill 5/s, per account.
    for (const query of PRICE_QUERIES) {
      const fromThisQuery = new Map<string, { usd: string; reservedUsd?: string }>()
      const input = {
        ServiceCode: 'AmazonEC2',
        FormatVersion: 'aws_v1',
        Filters: [
          ...baseFilters(region),
          { Type: 'TERM_MATCH', Field: 'tenancy', Value: query.tenancy },
          { Type: 'TERM_MATCH', Field: 'productFamily', Value: query.productFamily },
        ] satisfies Filter[],
      }
      let page = 0
      try {
        // The paginator passes its trailing arguments to client.send (@smithy/core createPaginator).
        for await (const out of paginateGetProducts({ client, pageSize: PAGE_SIZE }, input, ...sendOptions(opts))) {
          page++
          pages++
          if (page > cap) throw new TooManyPagesError(`GetProducts (${query.name}) for ${region}`, cap)
          for (const entry of (out.PriceList ?? []) as unknown[]) {
            const parsed = parsePriceListEntry(entry)
            if (!parsed.ok) {
              count(skipped, parsed.reason)
              continue
            }
            const seen = fromThisQuery.get(parsed.instanceType)
            if (seen !== undefined) {
              // Same type twice in one query: harmless if equal, ambiguous otherwise (keep the first).
              if (Number(seen.usd) !== Number(parsed.usd)) count(skipped, 'duplicate-conflict')
              continue
            }
            if (parsed.reservedSkip) count(skipped, parsed.reservedSkip)
            fromThisQuery.set(parsed.instanceType, { usd: parsed.usd, ...(parsed.reservedUsd ? { reservedUsd: parsed.reservedUsd } : {}) })
          }
        }
      } catch (err) {
        throw wrapFailure(`GetProducts (${query.name})`, region, page + (err instanceof TooManyPagesError ? 0 : 1), err, opts.abortSignal)
      }
      for (const [type, found] of fromThisQuery) {
        if (byType.has(type)) {
          count(skipped, 'bare-metal-already-priced')
          continue
        }
        byType.set(type, found)
      }
    }
  } finally {
    owned?.destroy()
  }

  const sorted = [...byType].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const prices: Price[] = sorted.map(([instanceType, { usd }]) => ({ region, instanceType, usdPerHour: Number(usd), source: PRICE_SOURCE, asOf }))
  let reserved = 0
  for (const [instanceType, { reservedUsd }] of sorted) {
    if (reservedUsd === undefined) continue
    reserved++
    prices.push({ region, instanceType, usdPerHour: Number(reservedUsd), source: PRICE_SOURCE, asOf, capacityType: 'reserved-1y' })
  }
  log.info({ region, prices: byType.size, reserved, pages, skipped }, 'fetched on-demand and reserved prices from the AWS Price List API')
  if (Object.keys(skipped).some((r) => r !== 'bare-metal-already-priced')) {
    log.warn({ region, skipped }, 'skipped price list entries')
  }
  return { prices, skipped, pages }
}

// ---------------------------------------------------------------- gp3 storage

export interface StoragePriceResult {
  /** Null when the Price List API has no gp3 storage product for the region. */
  storagePrice: StoragePrice | null
  skipped: SkipCounts
  pages: number
}

/** A region's gp3 price per GB-month: GetProducts, productFamily Storage, volumeApiName gp3, its OnDemand
 * term's "GB-Mo" dimension. (gp3's IOPS and throughput above the baseline are other product families,
 * "System Operation" and "Provisioned Throughput", so this filter leaves them out.) */
export async function fetchStoragePrice(region: string, opts: AwsSourceOptions = {}): Promise<StoragePriceResult> {
  pricingEndpointRegion(region)
  const owned = opts.pricingClient ? null : await defaultPricingClient(region, opts)
  const { paginateGetProducts } = await import('@aws-sdk/client-pricing')
  const client = opts.pricingClient ?? (owned as PricingClient)
  const asOf = (opts.now?.() ?? new Date()).toISOString()
  const skipped: SkipCounts = {}
  const cap = pageCap(opts, 'getProducts')
  let found: string | null = null
  let pages = 0
  const input = {
    ServiceCode: 'AmazonEC2',
    FormatVersion: 'aws_v1',
    Filters: [
      { Type: 'TERM_MATCH', Field: 'regionCode', Value: region },
      { Type: 'TERM_MATCH', Field: 'productFamily', Value: 'Storage' },
      { Type: 'TERM_MATCH', Field: 'volumeApiName', Value: 'gp3' },
    ] satisfies Filter[],
  }
  try {
    for await (const out of paginateGetProducts({ client, pageSize: PAGE_SIZE }, input, ...sendOptions(opts))) {
      pages++
      if (pages > cap) throw new TooManyPagesError(`GetProducts (gp3 storage) for ${region}`, cap)
      for (const entry of (out.PriceList ?? []) as unknown[]) {
        const doc = priceListDocument(entry)
        if (!doc) {
          count(skipped, 'storage-bad-json')
          continue
        }
        const terms = doc['terms']
        const price = termPrice(isRecord(terms) ? terms['OnDemand'] : undefined, /^GB-Mo$/i)
        if (!price.ok) {
          count(skipped, `storage-${price.reason === 'none' ? 'no-gb-month-rate' : price.reason}`)
          continue
        }
        if (found === null) found = price.usd
        else if (Number(found) !== Number(price.usd)) count(skipped, 'storage-duplicate-conflict')
      }
    }
  } catch (err) {
    throw wrapFailure('GetProducts (gp3 storage)', region, pages + (err instanceof TooManyPagesError ? 0 : 1), err, opts.abortSignal)
  } finally {
    owned?.destroy()
  }
  const storagePrice: StoragePrice | null =
    found === null ? null : { region, volumeType: 'gp3', usdPerGbMonth: Number(found), source: PRICE_SOURCE, asOf }
  return { storagePrice, skipped, pages }
}

// ---------------------------------------------------------------- instance types

type MappedType = { ok: true; type: AwsInstanceType } | { ok: false; reason: string }

function positiveInt(x: number | undefined): number | null {
  return typeof x === 'number' && Number.isInteger(x) && x > 0 ? x : null
}

export function mapInstanceTypeInfo(info: InstanceTypeInfo): MappedType {
  const name = info.InstanceType?.trim()
  if (!name) return { ok: false, reason: 'no-name' }
  const net = info.NetworkInfo ?? {}
  const cards = net.NetworkCards ?? []
  const defaultIndex = net.DefaultNetworkCardIndex ?? 0
  const defaultCard = cards.find((c) => (c.NetworkCardIndex ?? 0) === defaultIndex)

  // The VPC CNI only attaches ENIs on the default card: that is E in the max-pods formula.
  const maxEnis = positiveInt(defaultCard?.MaximumNetworkInterfaces) ?? positiveInt(net.MaximumNetworkInterfaces)
  if (maxEnis === null) return { ok: false, reason: 'no-eni-limit' }
  const ipv4PerEni = positiveInt(net.Ipv4AddressesPerInterface)
  if (ipv4PerEni === null) return { ok: false, reason: 'no-ipv4-limit' }

  const summed = cards.reduce((sum, c) => sum + (positiveInt(c.MaximumNetworkInterfaces) ?? 0), 0)
  const maxEnisAllCards = summed > 0 ? summed : (positiveInt(net.MaximumNetworkInterfaces) ?? maxEnis)
  const archs = info.ProcessorInfo?.SupportedArchitectures ?? []
  const bandwidthGbps = defaultCard?.BaselineBandwidthInGbps
  const hypervisor = info.Hypervisor === 'nitro' || info.Hypervisor === 'xen' ? info.Hypervisor : null

  return {
    ok: true,
    type: {
      name,
      family: name.split('.')[0] ?? name,
      vcpu: info.VCpuInfo?.DefaultVCpus ?? null,
      memoryMiB: info.MemoryInfo?.SizeInMiB ?? null,
      arch: archs.includes('arm64') ? 'arm64' : archs.includes('x86_64') ? 'amd64' : null,
      maxEnis,
      ipv4PerEni,
      networkCards: positiveInt(net.MaximumNetworkCards) ?? Math.max(cards.length, 1),
      maxEnisAllCards,
      ipv6Supported: net.Ipv6Supported === true,
      hypervisor,
      bareMetal: info.BareMetal === true,
      encryptionInTransit: typeof net.EncryptionInTransitSupported === 'boolean' ? net.EncryptionInTransitSupported : null,
      networkPerformance: net.NetworkPerformance ?? null,
      networkBandwidthMbps:
        typeof bandwidthGbps === 'number' && Number.isFinite(bandwidthGbps) ? Math.round(bandwidthGbps * 1000) : null,
    },
  }
}

async function defaultEc2Client(region: string, opts: AwsSourceOptions): Promise<EC2Client> {
  const { EC2Client } = await import('@aws-sdk/client-ec2')
  return new EC2Client({
    region,
    maxAttempts: opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    requestHandler: httpHandlerOptions(opts),
    ...(opts.retryStrategy ? { retryStrategy: opts.retryStrategy } : {}),
  })
}

export async function fetchInstanceTypes(region: string, opts: AwsSourceOptions = {}): Promise<InstanceTypesResult> {
  const log = opts.log ?? silentLog
  const owned = opts.ec2ClientFor ? null : await defaultEc2Client(region, opts)
  const { paginateDescribeInstanceTypes } = await import('@aws-sdk/client-ec2')
  const client = opts.ec2ClientFor?.(region) ?? (owned as EC2Client)
  const skipped: SkipCounts = {}
  const byName = new Map<string, AwsInstanceType>()
  let pages = 0

  try {
    const cap = pageCap(opts, 'describeInstanceTypes')
    for await (const out of paginateDescribeInstanceTypes({ client, pageSize: PAGE_SIZE }, {}, ...sendOptions(opts))) {
      pages++
      if (pages > cap) throw new TooManyPagesError(`DescribeInstanceTypes for ${region}`, cap)
      for (const info of out.InstanceTypes ?? []) {
        const mapped = mapInstanceTypeInfo(info)
        if (!mapped.ok) {
          count(skipped, mapped.reason)
          continue
        }
        if (byName.has(mapped.type.name)) {
          count(skipped, 'duplicate')
          continue
        }
        byName.set(mapped.type.name, mapped.type)
      }
    }
  } catch (err) {
    throw wrapFailure('DescribeInstanceTypes', region, pages + (err instanceof TooManyPagesError ? 0 : 1), err, opts.abortSignal)
  } finally {
    owned?.destroy()
  }

  const instanceTypes = [...byName.values()]
  log.info({ region, instanceTypes: instanceTypes.length, pages, skipped }, 'fetched instance types from EC2')
  if (Object.keys(skipped).length > 0) log.warn({ region, skipped }, 'skipped instance types')
  return { instanceTypes, skipped, pages }
}

// ---------------------------------------------------------------- spot

export interface SpotPricesResult {
  prices: Price[]
  skipped: SkipCounts
  pages: number
}

/** The middle value of the sorted list, or the mean of the two middle ones, rounded to the micro-dollar
 * (the catalog stores 6 decimals, migrations/001). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  const m = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return Math.round(m * 1e6) / 1e6
}

/**
 * A region's spot prices: DescribeSpotPriceHistory for Linux/UNIX with StartTime now, which returns, per
 * type and Availability Zone, the price in effect now (the last change before the start time: the EC2
 * API reference). Per type and AZ the newest entry counts; per type the catalog keeps the median over its
 * AZs, with how many AZs (azCount) and the newest of their timestamps (spotTimestamp).
 */
export async function fetchSpotPrices(region: string, opts: AwsSourceOptions = {}): Promise<SpotPricesResult> {
  const log = opts.log ?? silentLog
  const owned = opts.ec2ClientFor ? null : await defaultEc2Client(region, opts)
  const { paginateDescribeSpotPriceHistory } = await import('@aws-sdk/client-ec2')
  const client = opts.ec2ClientFor?.(region) ?? (owned as EC2Client)
  const now = opts.now?.() ?? new Date()
  const skipped: SkipCounts = {}
  /** type → AZ → the newest entry seen */
  const latest = new Map<string, Map<string, { usd: number; at: number }>>()
  const cap = pageCap(opts, 'spotPriceHistory')
  let pages = 0

  try {
    const input = { ProductDescriptions: ['Linux/UNIX'], StartTime: now }
    for await (const out of paginateDescribeSpotPriceHistory({ client, pageSize: SPOT_PAGE_SIZE }, input, ...sendOptions(opts))) {
      pages++
      if (pages > cap) throw new TooManyPagesError(`DescribeSpotPriceHistory for ${region}`, cap)
      for (const sp of out.SpotPriceHistory ?? []) addSpotEntry(latest, sp, skipped)
    }
  } catch (err) {
    throw wrapFailure('DescribeSpotPriceHistory', region, pages + (err instanceof TooManyPagesError ? 0 : 1), err, opts.abortSignal)
  } finally {
    owned?.destroy()
  }

  const asOf = now.toISOString()
  const prices: Price[] = [...latest]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([instanceType, zones]) => {
      const entries = [...zones.values()]
      return {
        region,
        instanceType,
        usdPerHour: median(entries.map((e) => e.usd)),
        source: SPOT_PRICE_SOURCE,
        asOf,
        capacityType: 'spot' as const,
        azCount: entries.length,
        spotTimestamp: new Date(Math.max(...entries.map((e) => e.at))).toISOString(),
      }
    })
  log.info({ region, spotPrices: prices.length, pages, skipped }, 'fetched spot prices from EC2')
  if (Object.keys(skipped).length > 0) log.warn({ region, skipped }, 'skipped spot price history entries')
  return { prices, skipped, pages }
}

function addSpotEntry(latest: Map<string, Map<string, { usd: number; at: number }>>, sp: SpotPrice, skipped: SkipCounts): void {
  const type = sp.InstanceType?.trim()
  const zone = sp.AvailabilityZone?.trim() || sp.AvailabilityZoneId?.trim()
  const raw = sp.SpotPrice?.trim()
  const at = sp.Timestamp instanceof Date ? sp.Timestamp.getTime() : NaN
  if (!type) return count(skipped, 'spot-no-instance-type')
  if (!zone) return count(skipped, 'spot-no-zone')
  if (!raw || !DECIMAL.test(raw)) return count(skipped, 'spot-bad-price')
  if (Number(raw) === 0) return count(skipped, 'spot-zero-price')
  if (!Number.isFinite(at)) return count(skipped, 'spot-no-timestamp')
  let zones = latest.get(type)
  if (!zones) latest.set(type, (zones = new Map()))
  const seen = zones.get(zone)
  if (!seen || at > seen.at) zones.set(zone, { usd: Number(raw), at })
}

// ---------------------------------------------------------------- regions

/**
 * The commercial partition's region codes, as the AWS SDK's endpoint rules define them: the `aws`
 * partition's regionRegex in @aws-sdk/core 3.981 (dist-es/submodules/client/util-endpoints/lib/aws/
 * partitions.js), `^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$`. Three parts, so it leaves out GovCloud
 * (us-gov-west-1: partition aws-us-gov), the ISO partitions (us-iso-east-1, us-isob-east-1,
 * eu-isoe-west-1, us-isof-south-1), the European Sovereign Cloud (eusc-de-east-1), China (cn-north-1:
 * aws-cn, priced in CNY), and the codes the Price List API lists that are no region: Local Zones
 * (us-east-1-bos-1) and Wavelength Zones (us-east-1-wl1-bos-wlz-1). `\w` is narrowed to letters here,
 * as in every region name the SDK lists.
 */
export const AWS_COMMERCIAL_REGION = /^(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d+$/

/** Why a region code the Price List API lists is not refreshed: a skip reason, or null for a commercial region. */
export function nonCommercialReason(code: string): string | null {
  if (AWS_COMMERCIAL_REGION.test(code)) return null
  if (code.startsWith('us-gov-')) return 'region-code-govcloud'
  if (code.startsWith('cn-')) return 'region-code-china'
  if (/^(us-iso[a-z]?|eu-isoe|eusc)-/.test(code)) return 'region-code-other-partition'
  return 'region-code-not-a-region'
}

export interface RegionsResult {
  regions: string[]
  /** reason → how many codes were left out (nonCommercialReason). */
  skipped: SkipCounts
  pages: number
}

/** Every commercial region the Price List API prices EC2 in: GetAttributeValues(AmazonEC2, regionCode). */
export async function fetchPricedRegions(opts: AwsSourceOptions = {}): Promise<RegionsResult> {
  const owned = opts.pricingClient ? null : await defaultPricingClient('us-east-1', opts)
  const { paginateGetAttributeValues } = await import('@aws-sdk/client-pricing')
  const client = opts.pricingClient ?? (owned as PricingClient)
  const cap = pageCap(opts, 'getAttributeValues')
  const skipped: SkipCounts = {}
  const regions = new Set<string>()
  let pages = 0
  try {
    const input = { ServiceCode: 'AmazonEC2', AttributeName: 'regionCode' }
    for await (const out of paginateGetAttributeValues({ client, pageSize: PAGE_SIZE }, input, ...sendOptions(opts))) {
      pages++
      if (pages > cap) throw new TooManyPagesError('GetAttributeValues (regionCode)', cap)
      for (const v of out.AttributeValues ?? []) {
        const code = v.Value?.trim()
        if (!code) continue
        const why = nonCommercialReason(code)
        if (why) count(skipped, why)
        else regions.add(code)
      }
    }
  } catch (err) {
    throw wrapFailure('GetAttributeValues (regionCode)', 'the Price List API', pages + (err instanceof TooManyPagesError ? 0 : 1), err, opts.abortSignal)
  } finally {
    owned?.destroy()
  }
  return { regions: [...regions].sort(), skipped, pages }
}

/** The regions this account can call EC2 in: DescribeRegions with AllRegions, those whose OptInStatus is
 * opt-in-not-required or opted-in (regions launched after March 2019 are off until an account opts in,
 * and every EC2 call there fails). One call, in `homeRegion`. */
export async function fetchEnabledRegions(opts: AwsSourceOptions = {}): Promise<Set<string>> {
  const home = opts.homeRegion ?? 'us-east-1'
  const owned = opts.ec2ClientFor ? null : await defaultEc2Client(home, opts)
  const { DescribeRegionsCommand } = await import('@aws-sdk/client-ec2')
  const client = opts.ec2ClientFor?.(home) ?? (owned as EC2Client)
  try {
    const out = await client.send(new DescribeRegionsCommand({ AllRegions: true }), ...sendOptions(opts))
    return new Set(
      (out.Regions ?? [])
        .filter((r) => r.OptInStatus === 'opt-in-not-required' || r.OptInStatus === 'opted-in')
        .map((r) => r.RegionName ?? '')
        .filter((name) => name !== ''),
    )
  } catch (err) {
    throw wrapFailure('DescribeRegions', home, 1, err, opts.abortSignal)
  } finally {
    owned?.destroy()
  }
}

// ---------------------------------------------------------------- everything, over regions

interface RegionResult {
  region: string
  instanceTypes: AwsInstanceType[]
  prices: Price[]
  storagePrice: StoragePrice | null
  skipped: SkipCounts
  pages: number
}

/** One region, its calls one after the other: types (EC2), on-demand and reserved prices (Price List),
 * spot prices (EC2), gp3 (Price List). Without EC2 (a region the account has not enabled), the Price
 * List part only. */
async function fetchRegion(region: string, ec2: boolean, opts: AwsSourceOptions): Promise<RegionResult> {
  const skipped: SkipCounts = {}
  let pages = 0
  let instanceTypes: AwsInstanceType[] = []
  const prices: Price[] = []
  if (ec2) {
    const types = await fetchInstanceTypes(region, opts)
    pages += types.pages
    addCounts(skipped, types.skipped)
    instanceTypes = types.instanceTypes
  }
  const priced = await fetchPrices(region, opts)
  pages += priced.pages
  addCounts(skipped, priced.skipped)
  prices.push(...priced.prices)
  if (ec2) {
    const spot = await fetchSpotPrices(region, opts)
    pages += spot.pages
    addCounts(skipped, spot.skipped)
    prices.push(...spot.prices)
  }
  const storage = await fetchStoragePrice(region, opts)
  pages += storage.pages
  addCounts(skipped, storage.skipped)
  if (!storage.storagePrice) (opts.log ?? silentLog).warn({ region }, 'the Price List API has no gp3 storage price for the region')
  return { region, instanceTypes, prices, storagePrice: storage.storagePrice, skipped, pages }
}

/**
 * Runs `fn` over `items`, at most `limit` at once, and hands each result to `take` in the items' order,
 * as soon as it and every one before it are in (so a result is kept only until those before it are
 * done, not until the end). The first failure aborts `stop` (the others' calls then end at once), lets
 * the calls in flight settle, and is what rejects; nothing is taken after it.
 */
async function eachLimited<T, R>(items: readonly T[], limit: number, stop: AbortController, fn: (item: T) => Promise<R>, take: (result: R) => void): Promise<void> {
  const waiting = new Map<number, R>()
  let taken = 0
  let next = 0
  let failure: { err: unknown } | null = null
  // An already-aborted signal still starts a region: its first call then fails at once, saying where.
  const worker = async () => {
    while (failure === null && next < items.length) {
      const i = next++
      try {
        waiting.set(i, await fn(items[i]!))
        for (let r = waiting.get(taken); failure === null && r !== undefined; r = waiting.get(taken)) {
          waiting.delete(taken++)
          take(r)
        }
      } catch (err) {
        if (failure === null) failure = { err }
        stop.abort(err)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  if (failure !== null) throw (failure as { err: unknown }).err
}

/**
 * The catalog over `regions`, or over every commercial region the Price List API knows (ALL_REGIONS).
 * Limits are a property of the type, so types are the union over regions (the first region in the list
 * wins); prices are per region. DEFAULT_REGION_CONCURRENCY regions are read at once. Any failure
 * rejects the whole fetch (the caller then writes nothing), after stopping the other regions' calls.
 *
 * With ALL_REGIONS, EC2 is asked only in the regions the account has enabled (DescribeRegions); the
 * others get their Price List prices (on-demand, reserved, gp3) and are named in `notEnabled`. Regions
 * asked for by name are all asked of EC2: one the account has not enabled fails the fetch, loudly.
 */
export async function fetchCatalog(regions: string[] | typeof ALL_REGIONS, opts: AwsSourceOptions = {}): Promise<CatalogResult> {
  const log = opts.log ?? silentLog
  const skipped: SkipCounts = {}
  let pages = 0
  let unique: string[]
  let enabled: Set<string> | null = null
  if (regions === ALL_REGIONS) {
    const listed = await fetchPricedRegions(opts)
    pages += listed.pages
    addCounts(skipped, listed.skipped)
    if (listed.regions.length === 0) throw new Error('the Price List API listed no commercial region for AmazonEC2')
    unique = listed.regions
    enabled = await fetchEnabledRegions(opts)
    pages += 1
    log.info({ regions: unique, excluded: listed.skipped }, 'regions the AWS Price List API prices EC2 in')
  } else {
    unique = [...new Set(regions)]
    if (unique.length === 0) throw new Error('fetchCatalog needs at least one region')
  }
  for (const region of unique) pricingEndpointRegion(region) // validate all before any call
  const notEnabled = enabled ? unique.filter((r) => !enabled.has(r)) : []
  if (notEnabled.length > 0) {
    log.warn({ regions: notEnabled }, 'regions this account has not enabled: priced from the Price List API only, without spot prices or instance types')
  }

  // One signal for the regions: the caller's, or the first region's failure (a region stopped because
  // another failed only says it was stopped; eachLimited rejects with the failure).
  const stop = new AbortController()
  const outer = opts.abortSignal
  const onOuterAbort = () => stop.abort(outer?.reason)
  if (outer?.aborted) onOuterAbort()
  else outer?.addEventListener('abort', onOuterAbort, { once: true })
  // Each region is merged as soon as it and those before it are in (the first region in the list still
  // wins), and dropped: what is kept is the union of types and the prices, their strings shared.
  const byName = new Map<string, AwsInstanceType>()
  const prices: Price[] = []
  const storagePrices: StoragePrice[] = []
  const strings = new Interner()
  const intern = (s: string) => strings.intern(s)
  const merge = (r: RegionResult) => {
    pages += r.pages
    addCounts(skipped, r.skipped)
    for (const t of r.instanceTypes) {
      const first = byName.get(t.name)
      if (!first) {
        t.name = intern(t.name)
        byName.set(t.name, t)
      } else if (first.maxEnis !== t.maxEnis || first.ipv4PerEni !== t.ipv4PerEni) {
        count(skipped, 'region-disagreement')
        log.warn(
          { instanceType: t.name, region: r.region, kept: [first.maxEnis, first.ipv4PerEni], seen: [t.maxEnis, t.ipv4PerEni] },
          'regions disagree on ENI limits; keeping the first region',
        )
      }
    }
    for (const p of r.prices) {
      p.instanceType = intern(p.instanceType)
      if (p.spotTimestamp !== undefined) p.spotTimestamp = intern(p.spotTimestamp)
      prices.push(p)
    }
    if (r.storagePrice) storagePrices.push(r.storagePrice)
  }
  try {
    await eachLimited(
      unique,
      opts.regionConcurrency ?? DEFAULT_REGION_CONCURRENCY,
      stop,
      (region) => fetchRegion(region, !notEnabled.includes(region), { ...opts, abortSignal: stop.signal }),
      merge,
    )
  } finally {
    outer?.removeEventListener('abort', onOuterAbort)
  }

  const instanceTypes = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  log.info(
    { regions: unique, instanceTypes: instanceTypes.length, prices: prices.length, storagePrices: storagePrices.length, pages, skipped },
    'fetched catalog from AWS',
  )
  return { regions: unique, instanceTypes, prices, storagePrices, notEnabled, skipped, pages }
}
