// A local fake of the two AWS APIs the catalog refresh calls, speaking their real wire protocols so the
// real SDK clients (serializers, signing, paginators, retry strategy) run end to end:
//  - Price List (Pricing): AWS JSON 1.1, POST /, x-amz-target AWSPriceListService.<Operation>:
//    GetProducts (TERM_MATCH filters, MaxResults 1-100, NextToken) and GetAttributeValues (the
//    regionCode values, MaxResults 1-100, NextToken);
//  - EC2: the EC2 query protocol (form body, Action=...), XML answers with camelCase elements:
//    DescribeInstanceTypes (MaxResults 5-100), DescribeSpotPriceHistory (ProductDescription.N filter,
//    MaxResults 5-1000, NextToken; the last page carries an empty <nextToken/>, as AWS says it may) and
//    DescribeRegions (AllRegions, optInStatus).
// One URL serves both; the region of an EC2 call is read from the SigV4 credential scope, the region of
// a Price List call from its regionCode filter.
//
// Product documents carry their Reserved terms as the API sends them (productJson's `reserved`): twelve
// terms, 1yr/3yr × standard/convertible × No/Partial/All Upfront, each with termAttributes and an hourly
// and (when not No Upfront) an "Upfront Fee" dimension.
//
// Scale: `startFakeAws({ synthetic: {} })` (or setScenario({ synthetic })) serves a whole synthetic
// catalog, generated page by page as it is asked for (so its memory stays small): every commercial
// region (COMMERCIAL_REGIONS, the AWS SDK's list) plus the non-region codes the Price List API also lists,
// `typesPerRegion` instance types in each (default 800), each with an on-demand price, the twelve
// reserved terms and a spot price in each of the region's `azsPerRegion` AZs (default 3; us-east-1 6),
// and a gp3 price per region; pages are AWS's own sizes (what the client asks for, at most 100 per
// Price List or DescribeInstanceTypes page, 1000 per spot page). A benchmark of a full refresh:
//   const fake = await startFakeAws({ synthetic: { typesPerRegion: 900 } })
//   await runRefresh(db, ALL_REGIONS, { awsOptions: sdkClients(fake).options() })   // aws-fixtures.ts

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A PriceList entry: a JSON string (matched against the request's filters after parsing; an
 * unparsable string goes to every query), or a raw string with the attributes to match it by
 * (filters on fields `match` does not name are ignored). */
export type FakePriceEntry = string | { raw: string; match: Record<string, string> }

/** http500: an error answer; reset: the connection is dropped; hang: the request is read, the connection
 * stays open, and no answer ever comes (an endpoint that accepts and never answers). */
export type FailureKind = 'http500' | 'reset' | 'hang'

export interface FakeFailure {
  /** Requests for pages after this one (1-based) fail, every time (so SDK retries are exhausted). */
  afterPage: number
  kind: FailureKind
}

export interface FakeThrottle {
  /** This many throttling errors, then success. */
  count: number
  /** Only requests for this page (1-based) are throttled; default: whichever comes next. */
  onPage?: number
}

/** One DescribeSpotPriceHistory entry (see spotPrice). */
export interface FakeSpotPrice {
  instanceType: string
  availabilityZone: string
  spotPrice: string
  /** ISO date-time. */
  timestamp: string
  /** Default Linux/UNIX. */
  productDescription?: string
}

/** One region as DescribeRegions lists it. */
export interface FakeEc2Region {
  name: string
  /** opt-in-not-required | opted-in | not-opted-in */
  optInStatus: string
}

/** A whole catalog generated on demand (see the header). */
export interface SyntheticCatalog {
  /** Default COMMERCIAL_REGIONS. */
  regions?: string[]
  /** Default 800. */
  typesPerRegion?: number
  /** Default 3 (us-east-1: 6). */
  azsPerRegion?: number
  /** Regions DescribeRegions lists as not-opted-in. Default none. */
  notOptedIn?: string[]
}

export interface FakeScenario {
  products: FakePriceEntry[]
  /** `<item>` XML per type (see instanceTypeXmlItem); a record gives each region its own list. */
  instanceTypes: string[] | Record<string, string[]>
  /** DescribeSpotPriceHistory entries; a record gives each region its own list. */
  spotPrices?: FakeSpotPrice[] | Record<string, FakeSpotPrice[]>
  /** GetAttributeValues(AmazonEC2, regionCode). Default: the regions of `products`. */
  regionCodes?: string[]
  /** DescribeRegions. Default: every commercial code of `regionCodes`, opt-in-not-required. */
  ec2Regions?: FakeEc2Region[]
  /** Served instead of products, instanceTypes, spotPrices, regionCodes and ec2Regions. */
  synthetic?: SyntheticCatalog
  spotPageSize?: number
  spotThrottle?: FakeThrottle
  spotFailure?: FakeFailure
  /** Every request of `operation` for `region` fails with HTTP 500 (all retries too). */
  regionFailure?: { region: string; operation: 'GetProducts' | 'DescribeInstanceTypes' | 'DescribeSpotPriceHistory' }
  /** Page size used instead of the request's MaxResults. */
  pricingPageSize?: number
  ec2PageSize?: number
  pricingThrottle?: FakeThrottle
  ec2Throttle?: FakeThrottle
  pricingFailure?: FakeFailure
  ec2Failure?: FakeFailure
}

export interface RecordedRequest {
  service: 'pricing' | 'ec2' | 'unknown'
  /** x-amz-target (Pricing) or Action (EC2). */
  operation: string
  signed: boolean
  /** From the SigV4 credential scope. */
  signingRegion: string | null
  signingService: string | null
  serviceCode?: string
  /** TERM_MATCH filters as field → value. */
  filters?: Record<string, string>
  filterTypes?: string[]
  formatVersion?: string
  version?: string
  maxResults?: number
  nextToken?: string
  /** GetAttributeValues. */
  attributeName?: string
  /** DescribeSpotPriceHistory: the ProductDescription.N values, and StartTime. */
  productDescriptions?: string[]
  startTime?: string
  /** DescribeRegions. */
  allRegions?: boolean
  page: number
  status: number | 'reset' | 'hang'
}

export interface FakeAws {
  url: string
  requests: RecordedRequest[]
  /** Requests held unanswered by a `hang` failure that the client has not given up on yet. */
  hanging(): number
  setScenario(patch: Partial<FakeScenario>): void
  close(): Promise<void>
}

// ------------------------------------------------------------------ fixture builders

export interface ProductOptions {
  tenancy?: string
  family?: string
  region?: string
  operatingSystem?: string
  preInstalledSw?: string
  capacitystatus?: string
  marketoption?: string
  currency?: string
  /** Drop the OnDemand term entirely. */
  noOnDemand?: boolean
  /** Add the twelve Reserved terms AWS sends, the 1-year standard no-upfront one at this hourly rate
   * (the others priced around it). */
  reserved?: string | number
  /** Exactly these Reserved terms instead (malformed ones included). */
  reservedTerms?: ReservedTermSpec[]
  /** Extra product attributes, as the real documents carry about forty (for realistic page sizes). */
  filler?: boolean
  /** Override or remove (undefined) product attributes. */
  attributes?: Record<string, string | undefined>
}

export interface ReservedTermSpec {
  length: '1yr' | '3yr'
  offeringClass: 'standard' | 'convertible'
  purchaseOption: 'No Upfront' | 'Partial Upfront' | 'All Upfront'
  /** USD per hour (a string is sent as it is, to test malformed values). */
  hourly: string
  /** USD once ("Upfront Fee", unit Quantity); left out when undefined. */
  upfront?: string
}

// Offer term codes as they appear in public price documents (the parser never reads them; they only
// make the documents look like AWS's).
const RESERVED_CODES: Record<string, string> = {
  '1yr standard No Upfront': '4NA7Y494T4',
  '1yr standard Partial Upfront': 'HU7G6KETJZ',
  '1yr standard All Upfront': '6QCMYABX3D',
  '3yr standard No Upfront': 'BPH4J8HBKS',
  '3yr standard Partial Upfront': '38NPMPTW36',
  '3yr standard All Upfront': 'NQ3QZPMQV9',
  '1yr convertible No Upfront': '7NE97W5U4E',
  '1yr convertible Partial Upfront': 'CUZHX8X6JH',
  '1yr convertible All Upfront': 'VJWZNREJX2',
  '3yr convertible No Upfront': 'Z2E3P23VKM',
  '3yr convertible Partial Upfront': 'R5XV2EPZQZ',
  '3yr convertible All Upfront': 'MZU6U2429S',
}

const fixed = (n: number) => n.toFixed(10)

/** The twelve reserved terms of a type whose 1-year standard no-upfront rate is `rate` (USD per hour):
 * the others are made up around it (longer, convertible and paid-ahead terms cost what they roughly do). */
export function reservedTermsAround(rate: number): ReservedTermSpec[] {
  const out: ReservedTermSpec[] = []
  for (const length of ['1yr', '3yr'] as const) {
    for (const offeringClass of ['standard', 'convertible'] as const) {
      const hourly = rate * (length === '3yr' ? 0.68 : 1) * (offeringClass === 'convertible' ? 1.14 : 1)
      const hours = length === '3yr' ? 26_280 : 8_760
      out.push({ length, offeringClass, purchaseOption: 'No Upfront', hourly: fixed(hourly) })
      out.push({ length, offeringClass, purchaseOption: 'Partial Upfront', hourly: fixed(hourly * 0.48), upfront: String(Math.round(hourly * 0.48 * hours)) })
      out.push({ length, offeringClass, purchaseOption: 'All Upfront', hourly: fixed(0), upfront: String(Math.round(hourly * 0.94 * hours)) })
    }
  }
  return out
}

function reservedTermsJson(sku: string, type: string | undefined, specs: ReservedTermSpec[]): Record<string, unknown> {
  const terms: Record<string, unknown> = {}
  specs.forEach((spec, i) => {
    const code = RESERVED_CODES[`${spec.length} ${spec.offeringClass} ${spec.purchaseOption}`] ?? `FAKE${i.toString().padStart(6, '0')}`
    const term = `${sku}.${code}${terms[`${sku}.${code}`] ? `x${i}` : ''}`
    const dims: Record<string, unknown> = {
      [`${term}.6YS6EN2CT7`]: {
        unit: 'Hrs',
        endRange: 'Inf',
        description: `Linux/UNIX (Amazon VPC), ${type ?? 'unknown'} reserved instance applied`,
        appliesTo: [],
        rateCode: `${term}.6YS6EN2CT7`,
        beginRange: '0',
        pricePerUnit: { USD: spec.hourly },
      },
    }
    if (spec.upfront !== undefined) {
      dims[`${term}.2TG2D8R56U`] = { unit: 'Quantity', description: 'Upfront Fee', appliesTo: [], rateCode: `${term}.2TG2D8R56U`, pricePerUnit: { USD: spec.upfront } }
    }
    terms[term] = {
      priceDimensions: dims,
      sku,
      effectiveDate: '2026-07-01T00:00:00Z',
      offerTermCode: code,
      termAttributes: { LeaseContractLength: spec.length, OfferingClass: spec.offeringClass, PurchaseOption: spec.purchaseOption },
    }
  })
  return terms
}

/** About thirty more attributes, as an EC2 product document carries (for realistic page sizes). */
const FILLER_ATTRIBUTES: Record<string, string> = {
  enhancedNetworkingSupported: 'Yes',
  intelTurboAvailable: 'Yes',
  memory: '8 GiB',
  dedicatedEbsThroughput: 'Up to 4750 Megabits',
  vcpu: '2',
  classicnetworkingsupport: 'false',
  instancesku: 'FAKEINSTSKU0000',
  intelAvxAvailable: 'Yes',
  physicalProcessor: 'Intel Xeon Platinum 8175',
  gpuMemory: 'NA',
  ecu: '10',
  networkPerformance: 'Up to 10 Gigabit',
  normalizationSizeFactor: '4',
  vpcnetworkingsupport: 'true',
  intelAvx2Available: 'Yes',
  processorFeatures: 'Intel AVX; Intel AVX2; Intel AVX512; Intel Turbo',
  clockSpeed: '3.1 GHz',
  processorArchitecture: '64-bit',
  currentGeneration: 'Yes',
  instanceFamily: 'General purpose',
  locationType: 'AWS Region',
  storage: 'EBS only',
  operation: 'RunInstances',
  availabilityzone: 'NA',
  servicename: 'Amazon Elastic Compute Cloud',
}

let skuCounter = 0

/** One PriceList entry as the API sends it: a JSON string of product + terms. */
export function productJson(type: string | undefined, usd: string | number, o: ProductOptions = {}): string {
  const sku = `FAKESKU${(++skuCounter).toString().padStart(8, '0')}`
  const family = o.family ?? 'Compute Instance'
  const attributes: Record<string, string | undefined> = {
    instanceType: type,
    regionCode: o.region ?? 'us-east-1',
    operatingSystem: o.operatingSystem ?? 'Linux',
    tenancy: o.tenancy ?? 'Shared',
    preInstalledSw: o.preInstalledSw ?? 'NA',
    capacitystatus: o.capacitystatus ?? 'Used',
    marketoption: o.marketoption ?? 'OnDemand',
    licenseModel: 'No License required',
    usagetype: `BoxUsage:${type ?? 'unknown'}`,
    servicecode: 'AmazonEC2',
    ...(o.filler ? FILLER_ATTRIBUTES : {}),
    ...o.attributes,
  }
  const term = `${sku}.JRTCKXETXF`
  const reservedSpecs = o.reservedTerms ?? (o.reserved !== undefined ? reservedTermsAround(Number(o.reserved)).map((r, i) => (i === 0 ? { ...r, hourly: String(o.reserved) } : r)) : null)
  const reserved = reservedSpecs ? { Reserved: reservedTermsJson(sku, type, reservedSpecs) } : {}
  const doc = {
    product: { productFamily: family, sku, attributes: JSON.parse(JSON.stringify(attributes)) },
    serviceCode: 'AmazonEC2',
    terms: o.noOnDemand
      ? { Reserved: reservedSpecs ? reservedTermsJson(sku, type, reservedSpecs) : {} }
      : {
          ...reserved,
          OnDemand: {
            [term]: {
              offerTermCode: 'JRTCKXETXF',
              sku,
              effectiveDate: '2026-07-01T00:00:00Z',
              priceDimensions: {
                [`${term}.6YS6EN2CT7`]: {
                  unit: 'Hrs',
                  pricePerUnit: { [o.currency ?? 'USD']: String(usd) },
                  description: `$${usd} per On Demand Linux ${type} Instance Hour`,
                  beginRange: '0',
                  endRange: 'Inf',
                  rateCode: `${term}.6YS6EN2CT7`,
                },
              },
            },
          },
        },
    version: '20260720134430',
    publicationDate: '2026-07-20T13:44:30Z',
  }
  return JSON.stringify(doc)
}

/** A gp3 storage product of `region` (productFamily Storage, volumeApiName gp3) at `usd` per GB-month. */
export function storageProductJson(region: string, usd: string | number, volumeApiName = 'gp3'): string {
  const sku = `FAKESKU${(++skuCounter).toString().padStart(8, '0')}`
  const term = `${sku}.JRTCKXETXF`
  return JSON.stringify({
    product: {
      productFamily: 'Storage',
      sku,
      attributes: {
        regionCode: region,
        volumeApiName,
        volumeType: 'General Purpose',
        storageMedia: 'SSD-backed',
        usagetype: `EBS:VolumeUsage.${volumeApiName}`,
        servicecode: 'AmazonEC2',
        maxVolumeSize: '16 TiB',
      },
    },
    serviceCode: 'AmazonEC2',
    terms: {
      OnDemand: {
        [term]: {
          offerTermCode: 'JRTCKXETXF',
          sku,
          effectiveDate: '2026-07-01T00:00:00Z',
          termAttributes: {},
          priceDimensions: {
            [`${term}.6YS6EN2CT7`]: {
              unit: 'GB-Mo',
              pricePerUnit: { USD: String(usd) },
              description: `$${usd} per GB-month of General Purpose (${volumeApiName}) provisioned storage`,
              beginRange: '0',
              endRange: 'Inf',
              rateCode: `${term}.6YS6EN2CT7`,
              appliesTo: [],
            },
          },
        },
      },
    },
    version: '20260720134430',
    publicationDate: '2026-07-20T13:44:30Z',
  })
}

/** One spot price entry; `timestamp` defaults to a fixed date. */
export function spotPrice(instanceType: string, availabilityZone: string, usd: string | number, timestamp = '2026-10-31T08:00:00.000Z'): FakeSpotPrice {
  return { instanceType, availabilityZone, spotPrice: String(usd), timestamp }
}

/**
 * The commercial partition's regions, as the AWS SDK lists them (@aws-sdk/core 3.981,
 * util-endpoints/lib/aws/partitions.js, partition "aws", aws-global left out).
 */
export const COMMERCIAL_REGIONS = [
  'af-south-1', 'ap-east-1', 'ap-east-2', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-south-2',
  'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7',
  'ca-central-1', 'ca-west-1', 'eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-2',
  'eu-west-3', 'il-central-1', 'me-central-1', 'me-south-1', 'me-west-1', 'mx-central-1', 'sa-east-1', 'sa-west-1', 'us-east-1',
  'us-east-2', 'us-west-1', 'us-west-2',
] as const

/** Codes the Price List API lists beside the regions (GovCloud, a Local Zone, a Wavelength Zone): a
 * refresh of every region must leave them out. */
export const NON_REGION_CODES = ['us-gov-east-1', 'us-gov-west-1', 'us-east-1-bos-1', 'us-west-2-lax-1', 'us-east-1-wl1-bos-wlz-1', 'eusc-de-east-1'] as const

/** `count` shared-tenancy products named gen<i>.large, price (i + 1) / 1000 USD. */
export function generateProducts(count: number, o: ProductOptions = {}): string[] {
  return Array.from({ length: count }, (_, i) => productJson(`gen${i}.large`, ((i + 1) / 1000).toFixed(4), o))
}

export interface InstanceTypeSpec {
  /** null leaves the element out (as for every field below). */
  name: string | null
  vcpu?: number | null
  memoryMiB?: number | null
  hypervisor?: string | null
  bareMetal?: boolean | null
  archs?: string[] | null
  networkPerformance?: string | null
  maxEnis?: number | null
  maxCards?: number | null
  defaultCardIndex?: number | null
  cards?: { index: number; maxEnis: number; baselineGbps?: number }[] | null
  ipv4PerEni?: number | null
  ipv6?: boolean | null
  encryptionInTransit?: boolean | null
  /** Extra XML inside <item> (unknown elements the SDK must ignore). */
  extraXml?: string
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function el(tag: string, value: string | number | boolean | null | undefined): string {
  return value === null || value === undefined ? '' : `<${tag}>${escapeXml(String(value))}</${tag}>`
}

/** One `<item>` of DescribeInstanceTypes' instanceTypeSet. Defaults describe an m5.large. */
export function instanceTypeXmlItem(spec: InstanceTypeSpec): string {
  const maxEnis = spec.maxEnis === undefined ? 3 : spec.maxEnis
  const cards = spec.cards === undefined ? [{ index: 0, maxEnis: maxEnis ?? 0, baselineGbps: 0.75 }] : spec.cards
  const archs = spec.archs === undefined ? ['x86_64'] : spec.archs
  const cardsXml =
    cards === null
      ? ''
      : `<networkCards>${cards
          .map(
            (c) =>
              `<item>${el('networkCardIndex', c.index)}${el('networkPerformance', 'Up to 10 Gigabit')}` +
              `${el('maximumNetworkInterfaces', c.maxEnis)}${el('baselineBandwidthInGbps', c.baselineGbps)}` +
              `${el('peakBandwidthInGbps', c.baselineGbps === undefined ? undefined : c.baselineGbps * 4)}</item>`,
          )
          .join('')}</networkCards>`
  const maxCards = spec.maxCards === undefined ? (cards?.length ?? 1) : spec.maxCards
  return (
    '<item>' +
    el('instanceType', spec.name) +
    el('currentGeneration', true) +
    '<supportedUsageClasses><item>on-demand</item><item>spot</item></supportedUsageClasses>' +
    (archs === null
      ? ''
      : `<processorInfo><supportedArchitectures>${archs.map((a) => el('item', a)).join('')}</supportedArchitectures>` +
        `${el('sustainedClockSpeedInGhz', 3.1)}</processorInfo>`) +
    (spec.vcpu === null ? '' : `<vCpuInfo>${el('defaultVCpus', spec.vcpu ?? 2)}${el('defaultCores', 1)}</vCpuInfo>`) +
    (spec.memoryMiB === null ? '' : `<memoryInfo>${el('sizeInMiB', spec.memoryMiB ?? 8192)}</memoryInfo>`) +
    el('hypervisor', spec.hypervisor === undefined ? 'nitro' : spec.hypervisor) +
    el('bareMetal', spec.bareMetal === undefined ? false : spec.bareMetal) +
    '<networkInfo>' +
    el('networkPerformance', spec.networkPerformance === undefined ? 'Up to 10 Gigabit' : spec.networkPerformance) +
    el('maximumNetworkInterfaces', maxEnis) +
    el('maximumNetworkCards', maxCards) +
    el('defaultNetworkCardIndex', spec.defaultCardIndex === undefined ? 0 : spec.defaultCardIndex) +
    cardsXml +
    el('ipv4AddressesPerInterface', spec.ipv4PerEni === undefined ? 10 : spec.ipv4PerEni) +
    el('ipv6AddressesPerInterface', 10) +
    el('ipv6Supported', spec.ipv6 === undefined ? true : spec.ipv6) +
    el('enaSupport', 'required') +
    el('efaSupported', false) +
    el('encryptionInTransitSupported', spec.encryptionInTransit === undefined ? false : spec.encryptionInTransit) +
    '</networkInfo>' +
    (spec.extraXml ?? '') +
    '</item>'
  )
}

/** `count` types named gen<i>.large with E = 2 + i % 7, I = 4 + i % 27. */
export function generateInstanceTypes(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    instanceTypeXmlItem({ name: `gen${i}.large`, maxEnis: 2 + (i % 7), ipv4PerEni: 4 + (i % 27) }),
  )
}

// ------------------------------------------------------------------ server

const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/'

function encodeToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url')
}

function decodeToken(token: string | undefined): number | null {
  if (!token) return 0
  const m = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString())
  return m ? Number(m[1]) : null
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function signingScope(auth: string | undefined): { region: string | null; service: string | null } {
  const m = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth ?? '')
  return { region: m?.[1] ?? null, service: m?.[2] ?? null }
}

/** The attributes (and productFamily) of a product document, parsed once per document: a scenario's
 * thousands of products are matched against the filters of every request. Null: not JSON. */
const attributesOf = new Map<string, Record<string, unknown> | null>()
function attributes(entry: string): Record<string, unknown> | null {
  let attrs = attributesOf.get(entry)
  if (attrs === undefined) {
    try {
      const doc = JSON.parse(entry) as { product?: { productFamily?: string; attributes?: Record<string, unknown> } }
      attrs = { ...doc.product?.attributes, productFamily: doc.product?.productFamily }
    } catch {
      attrs = null
    }
    if (attributesOf.size > 50_000) attributesOf.clear()
    attributesOf.set(entry, attrs)
  }
  return attrs
}

function entryMatches(entry: FakePriceEntry, filters: Record<string, string>): boolean {
  if (typeof entry !== 'string') {
    // Raw entries are matched on the fields they name only.
    return Object.entries(filters).every(([field, value]) => !(field in entry.match) || entry.match[field] === value)
  }
  const attrs = attributes(entry)
  if (attrs === null) return true
  return Object.entries(filters).every(([field, value]) => attrs[field] === value)
}

// ------------------------------------------------------------------ the synthetic catalog

/** What a synthetic catalog holds, with the generators for each page (nothing is built ahead but the
 * instance-type XML, which is the same in every region). */
class Synthetic {
  readonly regions: string[]
  readonly types: number
  readonly notOptedIn: Set<string>
  private readonly azs: number
  private typeXml: string[] | null = null

  constructor(c: SyntheticCatalog) {
    this.regions = c.regions ?? [...COMMERCIAL_REGIONS]
    this.types = c.typesPerRegion ?? 800
    this.azs = c.azsPerRegion ?? 3
    this.notOptedIn = new Set(c.notOptedIn ?? [])
  }

  has(region: string): boolean {
    return this.regions.includes(region)
  }

  azsOf(region: string): string[] {
    const n = region === 'us-east-1' ? Math.max(this.azs, 6) : this.azs
    return Array.from({ length: n }, (_, i) => `${region}${String.fromCharCode(97 + i)}`)
  }

  /** A made-up on-demand price of type i in a region: every region a little dearer than the last. */
  onDemand(region: string, i: number): number {
    return Math.round((0.0104 * (1 + (i % 97)) * (1 + this.regions.indexOf(region) / 100)) * 1e4) / 1e4
  }

  /** How many products a GetProducts query with these filters matches. */
  productCount(filters: Record<string, string>): number {
    const region = filters['regionCode']
    if (!region || !this.has(region)) return 0
    if (filters['productFamily'] === 'Storage') return filters['volumeApiName'] === 'gp3' ? 1 : 0
    if (filters['productFamily'] === 'Compute Instance' && filters['tenancy'] === 'Shared') return this.types
    return 0
  }

  product(filters: Record<string, string>, i: number): string {
    const region = filters['regionCode']!
    if (filters['productFamily'] === 'Storage') return storageProductJson(region, (0.08 * (1 + this.regions.indexOf(region) / 50)).toFixed(4))
    const usd = this.onDemand(region, i)
    return productJson(`gen${i}.large`, usd.toFixed(10), { region, reserved: (usd * 0.63).toFixed(10), filler: true })
  }

  instanceTypes(): string[] {
    this.typeXml ??= generateInstanceTypes(this.types)
    return this.typeXml
  }

  spotCount(region: string): number {
    return this.has(region) && !this.notOptedIn.has(region) ? this.types * this.azsOf(region).length : 0
  }

  /** Spot entry k of a region: type k / AZs, in AZ k % AZs, about a third of on demand. */
  spot(region: string, k: number): FakeSpotPrice {
    const zones = this.azsOf(region)
    const i = Math.floor(k / zones.length)
    const z = k % zones.length
    const usd = this.onDemand(region, i) * (0.3 + z / 100)
    return spotPrice(`gen${i}.large`, zones[z]!, usd.toFixed(6), `2026-10-${String(1 + (k % 28)).padStart(2, '0')}T00:00:00.000Z`)
  }
}

/** The regions the products of a scenario are priced in. */
function productRegions(products: FakePriceEntry[]): string[] {
  const out = new Set<string>()
  for (const p of products) {
    if (typeof p !== 'string') continue
    const region = attributes(p)?.['regionCode']
    if (typeof region === 'string') out.add(region)
  }
  return [...out].sort()
}

function spotItemXml(sp: FakeSpotPrice): string {
  return (
    '<item>' +
    el('availabilityZone', sp.availabilityZone) +
    el('instanceType', sp.instanceType) +
    el('productDescription', sp.productDescription ?? 'Linux/UNIX') +
    el('spotPrice', sp.spotPrice) +
    el('timestamp', sp.timestamp) +
    '</item>'
  )
}

/**
 * The environment that points the SDK's default clients at a fake endpoint with test credentials, and
 * unsets what would send them elsewhere (a service-specific endpoint, a profile, instance metadata).
 * undefined = unset the variable.
 */
export function fakeAwsEnv(url: string): Record<string, string | undefined> {
  return {
    AWS_ENDPOINT_URL: url,
    AWS_ENDPOINT_URL_PRICING: undefined,
    AWS_ENDPOINT_URL_EC2: undefined,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: undefined,
  }
}

export async function startFakeAws(initial: Partial<FakeScenario> = {}): Promise<FakeAws> {
  const scenario: FakeScenario = { products: [], instanceTypes: [], ...initial }
  let synthetic: Synthetic | null = scenario.synthetic ? new Synthetic(scenario.synthetic) : null
  const requests: RecordedRequest[] = []
  const held = new Set<ServerResponse>()
  let requestCounter = 0

  function takeThrottle(t: FakeThrottle | undefined, page: number): boolean {
    if (!t || t.count <= 0) return false
    if (t.onPage !== undefined && t.onPage !== page) return false
    t.count--
    return true
  }

  function fail(res: ServerResponse, rec: RecordedRequest, f: FakeFailure, body: () => void): void {
    if (f.kind === 'reset') {
      rec.status = 'reset'
      res.socket?.destroy()
      return
    }
    if (f.kind === 'hang') {
      // Never answered: only the client giving up (or close()) ends it.
      rec.status = 'hang'
      held.add(res)
      res.on('close', () => held.delete(res))
      return
    }
    body()
  }

  function sendJson(res: ServerResponse, rec: RecordedRequest, status: number, payload: object, errorType?: string): void {
    rec.status = status
    const headers: Record<string, string> = {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': `fake-${++requestCounter}`,
    }
    if (errorType) headers['x-amzn-errortype'] = errorType
    res.writeHead(status, headers)
    res.end(JSON.stringify(payload))
  }

  function sendXml(res: ServerResponse, rec: RecordedRequest, status: number, xml: string): void {
    rec.status = status
    res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' })
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`)
  }

  function ec2Error(res: ServerResponse, rec: RecordedRequest, status: number, code: string, message: string): void {
    sendXml(
      res,
      rec,
      status,
      `<Response><Errors><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error></Errors>` +
        `<RequestID>fake-${++requestCounter}</RequestID></Response>`,
    )
  }

  async function handleGetProducts(body: string, res: ServerResponse, rec: RecordedRequest): Promise<void> {
    let input: {
      ServiceCode?: string
      Filters?: { Type?: string; Field?: string; Value?: string }[]
      FormatVersion?: string
      NextToken?: string
      MaxResults?: number
    }
    try {
      input = JSON.parse(body || '{}')
    } catch {
      return sendJson(res, rec, 400, { __type: 'SerializationException', message: 'bad JSON body' }, 'SerializationException')
    }
    const filters: Record<string, string> = {}
    for (const f of input.Filters ?? []) if (f.Field !== undefined && f.Value !== undefined) filters[f.Field] = f.Value
    Object.assign(rec, {
      serviceCode: input.ServiceCode,
      filters,
      filterTypes: (input.Filters ?? []).map((f) => f.Type ?? ''),
      formatVersion: input.FormatVersion,
      maxResults: input.MaxResults,
      nextToken: input.NextToken,
    })
    const offset = decodeToken(input.NextToken)
    if (offset === null) {
      return sendJson(res, rec, 400, { __type: 'InvalidNextTokenException', message: 'bad token' }, 'InvalidNextTokenException')
    }
    if (input.MaxResults !== undefined && (input.MaxResults < 1 || input.MaxResults > 100)) {
      return sendJson(res, rec, 400, { __type: 'InvalidParameterException', message: 'MaxResults 1-100' }, 'InvalidParameterException')
    }
    if ((input.Filters ?? []).some((f) => f.Type !== 'TERM_MATCH')) {
      return sendJson(res, rec, 400, { __type: 'InvalidParameterException', message: 'fake supports TERM_MATCH only' }, 'InvalidParameterException')
    }
    const size = scenario.pricingPageSize ?? input.MaxResults ?? 100
    const page = Math.floor(offset / size) + 1
    rec.page = page

    if (takeThrottle(scenario.pricingThrottle, page)) {
      return sendJson(res, rec, 400, { __type: 'ThrottlingException', message: 'Rate exceeded' }, 'ThrottlingException')
    }
    const failure = scenario.pricingFailure
    if (failure && page > failure.afterPage) {
      return fail(res, rec, failure, () =>
        sendJson(res, rec, 500, { __type: 'InternalErrorException', message: 'injected failure' }, 'InternalErrorException'),
      )
    }
    if (scenario.regionFailure?.operation === 'GetProducts' && filters['regionCode'] === scenario.regionFailure.region) {
      return sendJson(res, rec, 500, { __type: 'InternalErrorException', message: 'injected failure for the region' }, 'InternalErrorException')
    }
    let total: number
    let slice: string[]
    if (synthetic) {
      total = input.ServiceCode === 'AmazonEC2' ? synthetic.productCount(filters) : 0
      slice = []
      for (let i = offset; i < Math.min(total, offset + size); i++) slice.push(synthetic.product(filters, i))
    } else {
      const matching = input.ServiceCode === 'AmazonEC2' ? scenario.products.filter((p) => entryMatches(p, filters)) : []
      total = matching.length
      slice = matching.slice(offset, offset + size).map((p) => (typeof p === 'string' ? p : p.raw))
    }
    const next = offset + size < total ? encodeToken(offset + size) : undefined
    sendJson(res, rec, 200, { FormatVersion: 'aws_v1', PriceList: slice, ...(next ? { NextToken: next } : {}) })
  }

  function handleGetAttributeValues(body: string, res: ServerResponse, rec: RecordedRequest): void {
    let input: { ServiceCode?: string; AttributeName?: string; NextToken?: string; MaxResults?: number }
    try {
      input = JSON.parse(body || '{}')
    } catch {
      return sendJson(res, rec, 400, { __type: 'SerializationException', message: 'bad JSON body' }, 'SerializationException')
    }
    Object.assign(rec, { serviceCode: input.ServiceCode, attributeName: input.AttributeName, maxResults: input.MaxResults, nextToken: input.NextToken })
    if (!input.ServiceCode || !input.AttributeName) {
      return sendJson(res, rec, 400, { __type: 'InvalidParameterException', message: 'ServiceCode and AttributeName are required' }, 'InvalidParameterException')
    }
    const offset = decodeToken(input.NextToken)
    if (offset === null) {
      return sendJson(res, rec, 400, { __type: 'InvalidNextTokenException', message: 'bad token' }, 'InvalidNextTokenException')
    }
    if (input.MaxResults !== undefined && (input.MaxResults < 1 || input.MaxResults > 100)) {
      return sendJson(res, rec, 400, { __type: 'InvalidParameterException', message: 'MaxResults 1-100' }, 'InvalidParameterException')
    }
    const size = scenario.pricingPageSize ?? input.MaxResults ?? 100
    const page = Math.floor(offset / size) + 1
    rec.page = page
    if (takeThrottle(scenario.pricingThrottle, page)) {
      return sendJson(res, rec, 400, { __type: 'ThrottlingException', message: 'Rate exceeded' }, 'ThrottlingException')
    }
    const codes =
      input.ServiceCode === 'AmazonEC2' && input.AttributeName === 'regionCode'
        ? synthetic
          ? [...synthetic.regions, ...NON_REGION_CODES]
          : (scenario.regionCodes ?? productRegions(scenario.products))
        : []
    const next = offset + size < codes.length ? encodeToken(offset + size) : undefined
    sendJson(res, rec, 200, { AttributeValues: codes.slice(offset, offset + size).map((Value) => ({ Value })), ...(next ? { NextToken: next } : {}) })
  }

  function handleEc2(form: URLSearchParams, res: ServerResponse, rec: RecordedRequest): void {
    const maxResults = form.get('MaxResults')
    Object.assign(rec, {
      version: form.get('Version') ?? undefined,
      maxResults: maxResults === null ? undefined : Number(maxResults),
      nextToken: form.get('NextToken') ?? undefined,
    })
    if (rec.operation === 'DescribeSpotPriceHistory') return handleSpot(form, res, rec)
    if (rec.operation === 'DescribeRegions') return handleRegions(form, res, rec)
    if (rec.operation !== 'DescribeInstanceTypes') {
      return ec2Error(res, rec, 400, 'InvalidAction', `The action ${rec.operation} is not valid for this web service.`)
    }
    const offset = decodeToken(rec.nextToken)
    if (offset === null) return ec2Error(res, rec, 400, 'InvalidNextToken', 'The token is invalid')
    if (rec.maxResults !== undefined && (rec.maxResults < 5 || rec.maxResults > 100)) {
      return ec2Error(res, rec, 400, 'InvalidParameterValue', 'MaxResults must be between 5 and 100')
    }
    const size = scenario.ec2PageSize ?? rec.maxResults ?? 100
    const page = Math.floor(offset / size) + 1
    rec.page = page

    if (takeThrottle(scenario.ec2Throttle, page)) {
      return ec2Error(res, rec, 503, 'RequestLimitExceeded', 'Request limit exceeded.')
    }
    const failure = scenario.ec2Failure
    if (failure && page > failure.afterPage) {
      return fail(res, rec, failure, () =>
        ec2Error(res, rec, 500, 'InternalError', 'An internal error has occurred'),
      )
    }
    if (scenario.regionFailure?.operation === 'DescribeInstanceTypes' && rec.signingRegion === scenario.regionFailure.region) {
      return ec2Error(res, rec, 500, 'InternalError', 'An internal error has occurred (injected for the region)')
    }
    const all = synthetic
      ? synthetic.has(rec.signingRegion ?? '') ? synthetic.instanceTypes() : []
      : Array.isArray(scenario.instanceTypes)
        ? scenario.instanceTypes
        : (scenario.instanceTypes[rec.signingRegion ?? ''] ?? [])
    const slice = all.slice(offset, offset + size)
    const next = offset + size < all.length ? encodeToken(offset + size) : undefined
    sendXml(
      res,
      rec,
      200,
      `<DescribeInstanceTypesResponse xmlns="${EC2_NS}"><requestId>fake-${++requestCounter}</requestId>` +
        `<instanceTypeSet>${slice.join('')}</instanceTypeSet>${next ? `<nextToken>${next}</nextToken>` : ''}` +
        '</DescribeInstanceTypesResponse>',
    )
  }

  function handleSpot(form: URLSearchParams, res: ServerResponse, rec: RecordedRequest): void {
    const descriptions = [...form.entries()].filter(([k]) => /^ProductDescription\.\d+$/.test(k)).map(([, v]) => v)
    Object.assign(rec, { productDescriptions: descriptions, startTime: form.get('StartTime') ?? undefined })
    const offset = decodeToken(rec.nextToken)
    if (offset === null) return ec2Error(res, rec, 400, 'InvalidNextToken', 'The token is invalid')
    if (rec.maxResults !== undefined && (rec.maxResults < 5 || rec.maxResults > 1000)) {
      return ec2Error(res, rec, 400, 'InvalidParameterValue', 'MaxResults must be between 5 and 1000')
    }
    const size = scenario.spotPageSize ?? rec.maxResults ?? 1000
    const page = Math.floor(offset / size) + 1
    rec.page = page
    if (takeThrottle(scenario.spotThrottle, page)) return ec2Error(res, rec, 503, 'RequestLimitExceeded', 'Request limit exceeded.')
    const failure = scenario.spotFailure
    if (failure && page > failure.afterPage) {
      return fail(res, rec, failure, () => ec2Error(res, rec, 500, 'InternalError', 'An internal error has occurred'))
    }
    const region = rec.signingRegion ?? ''
    if (scenario.regionFailure?.operation === 'DescribeSpotPriceHistory' && region === scenario.regionFailure.region) {
      return ec2Error(res, rec, 500, 'InternalError', 'An internal error has occurred (injected for the region)')
    }
    let total: number
    let items: string[]
    if (synthetic) {
      total = descriptions.length === 0 || descriptions.includes('Linux/UNIX') ? synthetic.spotCount(region) : 0
      items = []
      for (let k = offset; k < Math.min(total, offset + size); k++) items.push(spotItemXml(synthetic.spot(region, k)))
    } else {
      const listed = scenario.spotPrices === undefined ? [] : Array.isArray(scenario.spotPrices) ? scenario.spotPrices : (scenario.spotPrices[region] ?? [])
      const matching = listed.filter((sp) => descriptions.length === 0 || descriptions.includes(sp.productDescription ?? 'Linux/UNIX'))
      total = matching.length
      items = matching.slice(offset, offset + size).map(spotItemXml)
    }
    const next = offset + size < total ? encodeToken(offset + size) : ''
    sendXml(
      res,
      rec,
      200,
      `<DescribeSpotPriceHistoryResponse xmlns="${EC2_NS}"><requestId>fake-${++requestCounter}</requestId>` +
        `<spotPriceHistorySet>${items.join('')}</spotPriceHistorySet><nextToken>${next}</nextToken>` +
        '</DescribeSpotPriceHistoryResponse>',
    )
  }

  function handleRegions(form: URLSearchParams, res: ServerResponse, rec: RecordedRequest): void {
    rec.allRegions = form.get('AllRegions') === 'true'
    rec.page = 1
    const syn = synthetic
    const listed: FakeEc2Region[] = syn
      ? syn.regions.map((name) => ({ name, optInStatus: syn.notOptedIn.has(name) ? 'not-opted-in' : 'opt-in-not-required' }))
      : (scenario.ec2Regions ??
        (scenario.regionCodes ?? productRegions(scenario.products))
          .filter((name) => /^(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d+$/.test(name))
          .map((name) => ({ name, optInStatus: 'opt-in-not-required' })))
    // Without AllRegions, AWS lists the enabled regions only.
    const shown = rec.allRegions ? listed : listed.filter((r) => r.optInStatus !== 'not-opted-in')
    sendXml(
      res,
      rec,
      200,
      `<DescribeRegionsResponse xmlns="${EC2_NS}"><requestId>fake-${++requestCounter}</requestId><regionInfo>` +
        shown
          .map((r) => `<item>${el('regionName', r.name)}${el('regionEndpoint', `ec2.${r.name}.amazonaws.com`)}${el('optInStatus', r.optInStatus)}</item>`)
          .join('') +
        '</regionInfo></DescribeRegionsResponse>',
    )
  }

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req)
      const auth = req.headers['authorization']
      const scope = signingScope(auth)
      const rec: RecordedRequest = {
        service: 'unknown',
        operation: '',
        signed: typeof auth === 'string' && auth.startsWith('AWS4-HMAC-SHA256 '),
        signingRegion: scope.region,
        signingService: scope.service,
        page: 0,
        status: 0,
      }
      requests.push(rec)
      const target = req.headers['x-amz-target']
      const contentType = String(req.headers['content-type'] ?? '')
      if (req.method === 'POST' && typeof target === 'string' && target.startsWith('AWSPriceListService.')) {
        rec.service = 'pricing'
        rec.operation = target
        if (!contentType.startsWith('application/x-amz-json-1.1')) {
          return sendJson(res, rec, 400, { __type: 'SerializationException', message: 'content-type' }, 'SerializationException')
        }
        if (target === 'AWSPriceListService.GetAttributeValues') return handleGetAttributeValues(body, res, rec)
        if (target !== 'AWSPriceListService.GetProducts') {
          return sendJson(res, rec, 400, { __type: 'UnknownOperationException' }, 'UnknownOperationException')
        }
        return handleGetProducts(body, res, rec)
      }
      if (req.method === 'POST' && contentType.startsWith('application/x-www-form-urlencoded')) {
        const form = new URLSearchParams(body)
        rec.service = 'ec2'
        rec.operation = form.get('Action') ?? ''
        return handleEc2(form, res, rec)
      }
      rec.status = 404
      res.writeHead(404, { 'content-type': 'text/plain' })
      res.end('fake-aws: unknown request')
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end(String(err))
    })
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    hanging: () => held.size,
    setScenario(patch) {
      Object.assign(scenario, patch)
      synthetic = scenario.synthetic ? new Synthetic(scenario.synthetic) : null
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        server.closeAllConnections()
      })
    },
  }
}
