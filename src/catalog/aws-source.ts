// Fetches a fresh catalog (network limits + on-demand Linux prices) from AWS.
// No database access here: the caller decides whether and how to store what comes back,
// and a rejection means "write nothing" (a half-read region would silently drop types).
//
// Sources: AWS Price List Query API (GetProducts) with the filter set Karpenter uses
// (aws/karpenter-provider-aws:pkg/providers/pricing/pricing.go), and EC2 DescribeInstanceTypes.
// Endpoints come from the SDK's standard chain, so AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_PRICING and
// AWS_ENDPOINT_URL_EC2 work without code here.

// The SDK clients are loaded when a refresh first runs, not at start-up: together they hold ~70 MiB,
// and most replicas never refresh (a CronJob does).
//
// Nothing here may wait for ever: the clients built here get connection, request and socket-idle
// timeouts, and every call takes the caller's AbortSignal (the refresh deadline, REFRESH_TIMEOUT_SECONDS),
// which the SDK honours while a request is in flight and while it waits between retries.
import type { Filter, PricingClient, PricingClientConfig } from '@aws-sdk/client-pricing'
import type { EC2Client, InstanceTypeInfo } from '@aws-sdk/client-ec2'
import type { InstanceType, Price } from '../domain/types.js'

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
  instanceTypes: AwsInstanceType[]
  prices: Price[]
  skipped: SkipCounts
  pages: number
}

export const PRICE_SOURCE = 'aws-pricing-api'
const DEFAULT_MAX_ATTEMPTS = 5
const PAGE_SIZE = 100
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

type ParsedPrice = { ok: true; instanceType: string; usd: string } | { ok: false; reason: string }

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}

/** One PriceList element: a JSON string, or (current SDKs) a LazyJsonString, a `String` object. */
export function parsePriceListEntry(entry: unknown): ParsedPrice {
  let doc: unknown
  if (typeof entry === 'string' || entry instanceof String) {
    try {
      doc = JSON.parse(String(entry))
    } catch {
      return { ok: false, reason: 'bad-json' }
    }
  } else if (isRecord(entry)) {
    doc = entry
  } else {
    return { ok: false, reason: 'bad-json' }
  }
  if (!isRecord(doc)) return { ok: false, reason: 'bad-json' }

  const product = doc['product']
  const attributes = isRecord(product) ? product['attributes'] : undefined
  const instanceType = isRecord(attributes) ? attributes['instanceType'] : undefined
  if (typeof instanceType !== 'string' || instanceType.trim() === '') return { ok: false, reason: 'no-instance-type' }

  const terms = doc['terms']
  const onDemand = isRecord(terms) ? terms['OnDemand'] : undefined
  if (!isRecord(onDemand) || Object.keys(onDemand).length === 0) return { ok: false, reason: 'no-ondemand-term' }

  // Term and dimension codes (JRTCKXETXF, 6YS6EN2CT7) are not hard-coded: walk whatever is there.
  let sawDimension = false
  let firstBad: string | null = null
  for (const term of Object.values(onDemand)) {
    const dims = isRecord(term) ? term['priceDimensions'] : undefined
    if (!isRecord(dims)) continue
    for (const dim of Object.values(dims)) {
      const perUnit = isRecord(dim) ? dim['pricePerUnit'] : undefined
      if (!isRecord(perUnit)) continue
      sawDimension = true
      const usd = perUnit['USD']
      if (usd === undefined) continue
      if (typeof usd !== 'string' || !/^\d+(\.\d+)?$/.test(usd.trim())) {
        firstBad ??= 'bad-price'
        continue
      }
      if (Number(usd) === 0) {
        firstBad ??= 'zero-price'
        continue
      }
      return { ok: true, instanceType: instanceType.trim(), usd: usd.trim() }
    }
  }
  if (firstBad) return { ok: false, reason: firstBad }
  return { ok: false, reason: sawDimension ? 'non-usd' : 'no-ondemand-term' }
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

export async function fetchPrices(region: string, opts: AwsSourceOptions = {}): Promise<PricesResult> {
  pricingEndpointRegion(region) // fails fast on partitions the API does not serve
  const log = opts.log ?? silentLog
  const owned = opts.pricingClient ? null : await defaultPricingClient(region, opts)
  const { paginateGetProducts } = await import('@aws-sdk/client-pricing')
  const client = opts.pricingClient ?? (owned as PricingClient)
  const asOf = (opts.now?.() ?? new Date()).toISOString()
  const skipped: SkipCounts = {}
  const byType = new Map<string, string>()
  let pages = 0

  try {
    // Sequential on purpose: GetProducts has a token bucket of 10, refill 5/s, per account.
    for (const query of PRICE_QUERIES) {
      const fromThisQuery = new Map<string, string>()
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
          for (const entry of (out.PriceList ?? []) as unknown[]) {
            const parsed = parsePriceListEntry(entry)
            if (!parsed.ok) {
              count(skipped, parsed.reason)
              continue
            }
            const seen = fromThisQuery.get(parsed.instanceType)
            if (seen !== undefined) {
              // Same type twice in one query: harmless if equal, ambiguous otherwise (keep the first).
              if (Number(seen) !== Number(parsed.usd)) count(skipped, 'duplicate-conflict')
              continue
            }
            fromThisQuery.set(parsed.instanceType, parsed.usd)
          }
        }
      } catch (err) {
        throw wrapFailure(`GetProducts (${query.name})`, region, page + 1, err, opts.abortSignal)
      }
      for (const [type, usd] of fromThisQuery) {
        if (byType.has(type)) {
          count(skipped, 'bare-metal-already-priced')
          continue
        }
        byType.set(type, usd)
      }
    }
  } finally {
    owned?.destroy()
  }

  const prices: Price[] = [...byType]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([instanceType, usd]) => ({ region, instanceType, usdPerHour: Number(usd), source: PRICE_SOURCE, asOf }))
  log.info({ region, prices: prices.length, pages, skipped }, 'fetched on-demand prices from the AWS Price List API')
  if (Object.keys(skipped).some((r) => r !== 'bare-metal-already-priced')) {
    log.warn({ region, skipped }, 'skipped price list entries')
  }
  return { prices, skipped, pages }
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
    for await (const out of paginateDescribeInstanceTypes({ client, pageSize: PAGE_SIZE }, {}, ...sendOptions(opts))) {
      pages++
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
    throw wrapFailure('DescribeInstanceTypes', region, pages + 1, err, opts.abortSignal)
  } finally {
    owned?.destroy()
  }

  const instanceTypes = [...byName.values()]
  log.info({ region, instanceTypes: instanceTypes.length, pages, skipped }, 'fetched instance types from EC2')
  if (Object.keys(skipped).length > 0) log.warn({ region, skipped }, 'skipped instance types')
  return { instanceTypes, skipped, pages }
}

// ---------------------------------------------------------------- both, over regions

/** Limits are a property of the type, so types are the union over regions (first region wins);
 * prices are per region. Regions run one after the other to stay far from the API rate limits. */
export async function fetchCatalog(regions: string[], opts: AwsSourceOptions = {}): Promise<CatalogResult> {
  const unique = [...new Set(regions)]
  if (unique.length === 0) throw new Error('fetchCatalog needs at least one region')
  for (const region of unique) pricingEndpointRegion(region) // validate all before any call

  const log = opts.log ?? silentLog
  const skipped: SkipCounts = {}
  const byName = new Map<string, AwsInstanceType>()
  const prices: Price[] = []
  let pages = 0

  for (const region of unique) {
    const types = await fetchInstanceTypes(region, opts)
    pages += types.pages
    addCounts(skipped, types.skipped)
    for (const t of types.instanceTypes) {
      const first = byName.get(t.name)
      if (!first) {
        byName.set(t.name, t)
      } else if (first.maxEnis !== t.maxEnis || first.ipv4PerEni !== t.ipv4PerEni) {
        count(skipped, 'region-disagreement')
        log.warn(
          { instanceType: t.name, region, kept: [first.maxEnis, first.ipv4PerEni], seen: [t.maxEnis, t.ipv4PerEni] },
          'regions disagree on ENI limits; keeping the first region',
        )
      }
    }

    const priced = await fetchPrices(region, opts)
    pages += priced.pages
    addCounts(skipped, priced.skipped)
    prices.push(...priced.prices)
  }

  const instanceTypes = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  log.info({ regions: unique, instanceTypes: instanceTypes.length, prices: prices.length, pages, skipped }, 'fetched catalog from AWS')
  return { instanceTypes, prices, skipped, pages }
}
