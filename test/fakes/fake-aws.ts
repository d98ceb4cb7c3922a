// A local fake of the two AWS APIs the catalog refresh calls, speaking their real wire protocols so the
// real SDK clients (serializers, signing, paginators, retry strategy) run end to end:
//  - Price List (Pricing) GetProducts: AWS JSON 1.1, POST /, x-amz-target AWSPriceListService.GetProducts
//  - EC2 DescribeInstanceTypes: EC2 query protocol (form body), XML response with camelCase elements
// One URL serves both; the region of an EC2 call is read from the SigV4 credential scope.

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

export interface FakeScenario {
  products: FakePriceEntry[]
  /** `<item>` XML per type (see instanceTypeXmlItem); a record gives each region its own list. */
  instanceTypes: string[] | Record<string, string[]>
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
  /** Override or remove (undefined) product attributes. */
  attributes?: Record<string, string | undefined>
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
    ...o.attributes,
  }
  const term = `${sku}.JRTCKXETXF`
  const doc = {
    product: { productFamily: family, sku, attributes: JSON.parse(JSON.stringify(attributes)) },
    serviceCode: 'AmazonEC2',
    terms: o.noOnDemand
      ? { Reserved: {} }
      : {
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

function entryMatches(entry: FakePriceEntry, filters: Record<string, string>): boolean {
  if (typeof entry !== 'string') {
    // Raw entries are matched on the fields they name only.
    return Object.entries(filters).every(([field, value]) => !(field in entry.match) || entry.match[field] === value)
  }
  let attrs: Record<string, unknown>
  try {
    const doc = JSON.parse(entry) as { product?: { productFamily?: string; attributes?: Record<string, unknown> } }
    attrs = { ...doc.product?.attributes, productFamily: doc.product?.productFamily }
  } catch {
    return true
  }
  return Object.entries(filters).every(([field, value]) => attrs[field] === value)
}

export async function startFakeAws(initial: Partial<FakeScenario> = {}): Promise<FakeAws> {
  const scenario: FakeScenario = { products: [], instanceTypes: [], ...initial }
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

  async function handlePricing(body: string, res: ServerResponse, rec: RecordedRequest): Promise<void> {
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
    const matching = input.ServiceCode === 'AmazonEC2' ? scenario.products.filter((p) => entryMatches(p, filters)) : []
    const slice = matching.slice(offset, offset + size).map((p) => (typeof p === 'string' ? p : p.raw))
    const next = offset + size < matching.length ? encodeToken(offset + size) : undefined
    sendJson(res, rec, 200, { FormatVersion: 'aws_v1', PriceList: slice, ...(next ? { NextToken: next } : {}) })
  }

  function handleEc2(form: URLSearchParams, res: ServerResponse, rec: RecordedRequest): void {
    const maxResults = form.get('MaxResults')
    Object.assign(rec, {
      version: form.get('Version') ?? undefined,
      maxResults: maxResults === null ? undefined : Number(maxResults),
      nextToken: form.get('NextToken') ?? undefined,
    })
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
    const all = Array.isArray(scenario.instanceTypes)
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
        if (target !== 'AWSPriceListService.GetProducts') {
          return sendJson(res, rec, 400, { __type: 'UnknownOperationException' }, 'UnknownOperationException')
        }
        return handlePricing(body, res, rec)
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
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        server.closeAllConnections()
      })
    },
  }
}
