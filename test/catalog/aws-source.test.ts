import t from 'tap'
import { PricingClient, GetProductsCommand } from '@aws-sdk/client-pricing'
import { EC2Client } from '@aws-sdk/client-ec2'
import {
  ALL_REGIONS,
  AWS_COMMERCIAL_REGION,
  DEFAULT_CONNECTION_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  fetchCatalog,
  fetchEnabledRegions,
  fetchInstanceTypes,
  fetchPricedRegions,
  fetchPrices,
  fetchSpotPrices,
  fetchStoragePrice,
  httpHandlerOptions,
  median,
  nonCommercialReason,
  parsePriceListEntry,
  parseReserved1y,
  pricingEndpointRegion,
  SPOT_PAGE_SIZE,
  type AwsSourceOptions,
} from '../../src/catalog/aws-source.js'
import {
  generateInstanceTypes,
  generateProducts,
  instanceTypeXmlItem,
  COMMERCIAL_REGIONS,
  fakeAwsEnv,
  NON_REGION_CODES,
  productJson,
  reservedTermsAround,
  spotPrice,
  startFakeAws,
  storageProductJson,
  type FakeAws,
  type FakeSpotPrice,
  type RecordedRequest,
  type ReservedTermSpec,
} from '../fakes/fake-aws.js'
import { fastRetry, resetScenario, sdkClients, TEST_CREDENTIALS as credentials } from '../fakes/aws-fixtures.js'

let fake: FakeAws
let aws: ReturnType<typeof sdkClients>
t.before(async () => {
  fake = await startFakeAws()
  aws = sdkClients(fake, 3)
})
t.teardown(() => {
  aws.destroy()
  return fake.close()
})

const pricing = (attempts = 3): PricingClient => aws.pricing(attempts)
const ec2For = (attempts = 3): ((region: string) => EC2Client) => aws.ec2For(attempts)

/** Resets the fake to an empty, failure-free scenario and forgets its requests. */
const scenario = (s: Parameters<FakeAws['setScenario']>[0]) => resetScenario(fake, s)

const seen = (service: RecordedRequest['service']) => fake.requests.filter((r) => r.service === service)

function captureLog() {
  const lines: { level: string; o: object; m?: string }[] = []
  return {
    lines,
    log: {
      info: (o: object, m?: string) => lines.push({ level: 'info', o, m }),
      warn: (o: object, m?: string) => lines.push({ level: 'warn', o, m }),
    },
  }
}

async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]))
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  try {
    return await fn()
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

t.test('pricingEndpointRegion', async (t) => {
  const table: [string, string][] = [
    ['us-east-1', 'us-east-1'],
    ['us-west-2', 'us-east-1'],
    ['ca-central-1', 'us-east-1'],
    ['sa-east-1', 'us-east-1'],
    ['me-south-1', 'us-east-1'],
    ['af-south-1', 'us-east-1'],
    ['eu-west-1', 'eu-central-1'],
    ['eu-central-1', 'eu-central-1'],
    ['eu-north-1', 'eu-central-1'],
    ['ap-south-1', 'ap-south-1'],
    ['ap-northeast-1', 'ap-south-1'],
    ['ap-southeast-2', 'ap-south-1'],
  ]
  for (const [region, endpoint] of table) t.equal(pricingEndpointRegion(region), endpoint, region)
  for (const region of ['cn-north-1', 'cn-northwest-1', 'us-gov-west-1', 'us-gov-east-1']) {
    t.throws(() => pricingEndpointRegion(region), { message: new RegExp(`no AWS Price List endpoint serves ${region}`) })
  }
  await t.rejects(fetchPrices('us-gov-west-1', { pricingClient: pricing() }), /GovCloud/)
  await t.rejects(fetchCatalog(['us-east-1', 'cn-north-1'], { pricingClient: pricing(), ec2ClientFor: ec2For() }), /cn-north-1/)
  t.equal(fake.requests.length, 0, 'validation happens before any call')
  await t.rejects(fetchCatalog([]), /at least one region/)
})

t.test('the SDK hands PriceList entries over as LazyJsonString, not string', async (t) => {
  scenario({ products: [productJson('m5.large', '0.096')] })
  const out = await pricing().send(
    new GetProductsCommand({ ServiceCode: 'AmazonEC2', Filters: [{ Type: 'TERM_MATCH', Field: 'instanceType', Value: 'm5.large' }] }),
  )
  const entry: unknown = out.PriceList?.[0]
  t.equal(typeof entry, 'object')
  t.ok(entry instanceof String)
  t.equal(JSON.parse(String(entry)).product.attributes.instanceType, 'm5.large')
})

t.test('parsePriceListEntry accepts string, String object and parsed object', async (t) => {
  const json = productJson('m5.large', '0.096')
  const ok = { ok: true, instanceType: 'm5.large', usd: '0.096' }
  t.same(parsePriceListEntry(json), ok)
  t.same(parsePriceListEntry(new String(json)), ok)
  t.same(parsePriceListEntry(JSON.parse(json)), ok)
  t.same(parsePriceListEntry(42), { ok: false, reason: 'bad-json' })
  t.same(parsePriceListEntry(null), { ok: false, reason: 'bad-json' })
  t.same(parsePriceListEntry('[1]'), { ok: false, reason: 'bad-json' })
})

t.test('pricing: 2,500 products over 25 pages, all read, filters as specified, SigV4-signed', async (t) => {
  scenario({ products: generateProducts(2500) })
  const now = new Date('2026-11-01T12:00:00Z')
  const { log, lines } = captureLog()
  const out = await fetchPrices('us-east-1', { pricingClient: pricing(), now: () => now, log })

  t.equal(out.prices.length, 2500)
  t.equal(out.pages, 26, '25 shared pages + 1 (empty) bare-metal page')
  t.same(out.skipped, {})
  const p42 = out.prices.find((p) => p.instanceType === 'gen42.large')
  t.same(p42, { region: 'us-east-1', instanceType: 'gen42.large', usdPerHour: 0.043, source: 'aws-pricing-api', asOf: now.toISOString() })
  t.equal(new Set(out.prices.map((p) => p.instanceType)).size, 2500)

  const reqs = seen('pricing')
  t.equal(reqs.length, 26)
  const common = {
    regionCode: 'us-east-1',
    operatingSystem: 'Linux',
    preInstalledSw: 'NA',
    capacitystatus: 'Used',
    marketoption: 'OnDemand',
  }
  const shared = reqs.filter((r) => r.filters?.['tenancy'] === 'Shared')
  const metal = reqs.filter((r) => r.filters?.['tenancy'] === 'Dedicated')
  t.equal(shared.length, 25)
  t.equal(metal.length, 1)
  t.same(shared[0]?.filters, { ...common, tenancy: 'Shared', productFamily: 'Compute Instance' })
  t.same(metal[0]?.filters, { ...common, tenancy: 'Dedicated', productFamily: 'Compute Instance (bare metal)' })
  for (const r of reqs) {
    t.equal(r.operation, 'AWSPriceListService.GetProducts')
    t.equal(r.serviceCode, 'AmazonEC2')
    t.equal(r.maxResults, 100)
    t.ok(r.filterTypes?.every((x) => x === 'TERM_MATCH'))
    t.ok(r.signed, 'authorization: AWS4-HMAC-SHA256')
    t.equal(r.signingService, 'pricing')
    t.equal(r.signingRegion, 'us-east-1')
    t.equal(r.status, 200)
  }
  t.same(
    shared.map((r) => r.page),
    Array.from({ length: 25 }, (_, i) => i + 1),
    'pages followed in order through NextToken',
  )
  t.equal(shared[0]?.nextToken, undefined)
  t.ok(shared[1]?.nextToken)
  t.match(lines.find((l) => l.level === 'info')?.o, { region: 'us-east-1', prices: 2500, pages: 26 })
  t.notOk(lines.some((l) => l.level === 'warn'), 'nothing skipped, nothing to warn about')
})

t.test('EC2: 300 types over 3 pages, all read, signed, mapped', async (t) => {
  scenario({ instanceTypes: generateInstanceTypes(300) })
  const out = await fetchInstanceTypes('us-west-2', { ec2ClientFor: ec2For() })
  t.equal(out.instanceTypes.length, 300)
  t.equal(out.pages, 3)
  t.same(out.skipped, {})
  t.match(out.instanceTypes.find((x) => x.name === 'gen10.large'), { family: 'gen10', maxEnis: 2 + 3, ipv4PerEni: 4 + 10 })

  const reqs = seen('ec2')
  t.equal(reqs.length, 3)
  for (const r of reqs) {
    t.equal(r.operation, 'DescribeInstanceTypes')
    t.equal(r.version, '2016-11-15')
    t.equal(r.maxResults, 100)
    t.ok(r.signed)
    t.equal(r.signingService, 'ec2')
    t.equal(r.signingRegion, 'us-west-2')
  }
  t.same(reqs.map((r) => r.page), [1, 2, 3])
})

t.test('EC2: field mapping', async (t) => {
  scenario({
    instanceTypes: [
      instanceTypeXmlItem({ name: 'm5.large', encryptionInTransit: false }),
      // multi-card, default card not index 0: E is the default card's limit, all-cards is the sum
      instanceTypeXmlItem({
        name: 'p5.48xlarge',
        vcpu: 192,
        memoryMiB: 2097152,
        maxEnis: 64,
        maxCards: 32,
        defaultCardIndex: 1,
        cards: [
          { index: 0, maxEnis: 1, baselineGbps: 100 },
          { index: 1, maxEnis: 2, baselineGbps: 100 },
          { index: 2, maxEnis: 2 },
        ],
        ipv4PerEni: 50,
        encryptionInTransit: true,
        networkPerformance: '3200 Gigabit',
        extraXml: '<somethingNew><item>ignored</item></somethingNew>',
      }),
      instanceTypeXmlItem({
        name: 'm6g.metal',
        archs: ['arm64'],
        hypervisor: null,
        bareMetal: true,
        cards: [{ index: 0, maxEnis: 15, baselineGbps: 0.128 }],
        maxEnis: 15,
        ipv4PerEni: 50,
      }),
      // old Xen type: no network-card list, no EiT field, no bandwidth
      instanceTypeXmlItem({
        name: 't2.micro',
        hypervisor: 'xen',
        archs: ['i386', 'x86_64'],
        cards: null,
        maxCards: null,
        defaultCardIndex: null,
        maxEnis: 2,
        ipv4PerEni: 2,
        ipv6: false,
        encryptionInTransit: null,
        networkPerformance: 'Low to Moderate',
      }),
      instanceTypeXmlItem({ name: 'mac2.metal', archs: ['arm64_mac'], vcpu: null, memoryMiB: null }),
    ],
  })
  const out = await fetchInstanceTypes('us-east-1', { ec2ClientFor: ec2For() })
  const by = Object.fromEntries(out.instanceTypes.map((x) => [x.name, x]))
  t.same(by['m5.large'], {
    name: 'm5.large',
    family: 'm5',
    vcpu: 2,
    memoryMiB: 8192,
    arch: 'amd64',
    maxEnis: 3,
    ipv4PerEni: 10,
    networkCards: 1,
    maxEnisAllCards: 3,
    ipv6Supported: true,
    hypervisor: 'nitro',
    bareMetal: false,
    encryptionInTransit: false,
    networkPerformance: 'Up to 10 Gigabit',
    networkBandwidthMbps: 750,
  })
  t.notOk('trunking' in (by['m5.large'] ?? {}), 'branch-ENI fields are not in any AWS API')
  t.match(by['p5.48xlarge'], {
    vcpu: 192,
    memoryMiB: 2097152,
    maxEnis: 2,
    maxEnisAllCards: 5,
    networkCards: 32,
    ipv4PerEni: 50,
    encryptionInTransit: true,
    networkPerformance: '3200 Gigabit',
    networkBandwidthMbps: 100000,
  })
  t.match(by['m6g.metal'], { arch: 'arm64', hypervisor: null, bareMetal: true, networkBandwidthMbps: 128 })
  t.match(by['t2.micro'], {
    arch: 'amd64',
    hypervisor: 'xen',
    maxEnis: 2,
    maxEnisAllCards: 2,
    networkCards: 1,
    ipv6Supported: false,
    encryptionInTransit: null,
    networkBandwidthMbps: null,
  })
  t.match(by['mac2.metal'], { arch: null, vcpu: null, memoryMiB: null })
})

t.test('EC2: entries without name, E or I are skipped and counted', async (t) => {
  scenario({
    instanceTypes: [
      instanceTypeXmlItem({ name: 'm5.large' }),
      instanceTypeXmlItem({ name: null }),
      instanceTypeXmlItem({ name: 'x.zero-enis', maxEnis: 0 }),
      instanceTypeXmlItem({ name: 'x.no-enis', maxEnis: null, cards: null }),
      instanceTypeXmlItem({ name: 'x.no-ipv4', ipv4PerEni: null }),
      instanceTypeXmlItem({ name: 'x.zero-ipv4', ipv4PerEni: 0 }),
      instanceTypeXmlItem({ name: 'm5.large', maxEnis: 4 }),
    ],
  })
  const { log, lines } = captureLog()
  const out = await fetchInstanceTypes('us-east-1', { ec2ClientFor: ec2For(), log })
  t.same(
    out.instanceTypes.map((x) => [x.name, x.maxEnis]),
    [['m5.large', 3]],
  )
  t.same(out.skipped, { 'no-name': 1, 'no-eni-limit': 2, 'no-ipv4-limit': 2, duplicate: 1 })
  t.match(lines.find((l) => l.level === 'warn')?.o, { region: 'us-east-1', skipped: out.skipped })
})

t.test('pricing: malformed entries are counted by reason and not returned', async (t) => {
  scenario({
    products: [
      productJson('m5.large', '0.0960000000'),
      { raw: '{"product": {"attributes": {"instanceType": "bad.json"', match: { tenancy: 'Shared' } },
      { raw: '"just a string"', match: { tenancy: 'Shared' } },
      productJson(undefined, '1.0'),
      productJson('m5.noterm', '1.0', { noOnDemand: true }),
      productJson('m5.cny', '0.7', { currency: 'CNY' }),
      productJson('m5.zero', '0.0000000000'),
      productJson('m5.nan', 'n/a'),
      productJson('m5.neg', '-1.0'),
      productJson('c5.large', '0.085'),
      productJson('c5.large', '0.0850000000'), // same price again: harmless
      productJson('c5.large', '0.099'), // conflicting price: skipped and counted
      productJson('m5.large', '0.096', { operatingSystem: 'Windows' }), // filtered out by the API
      productJson('m5.large', '0.5', { region: 'us-west-2' }), // other region: filtered out by the API
    ],
  })
  const { log, lines } = captureLog()
  const out = await fetchPrices('us-east-1', { pricingClient: pricing(), log })
  t.same(
    out.prices.map((p) => [p.instanceType, p.usdPerHour]),
    [
      ['c5.large', 0.085],
      ['m5.large', 0.096],
    ],
  )
  t.same(out.skipped, {
    'bad-json': 2,
    'no-instance-type': 1,
    'no-ondemand-term': 1,
    'non-usd': 1,
    'zero-price': 1,
    'bad-price': 2,
    'duplicate-conflict': 1,
  })
  const warn = lines.find((l) => l.level === 'warn')
  t.match(warn?.o, { region: 'us-east-1', skipped: out.skipped })
  t.match(lines.find((l) => l.level === 'info')?.o, { skipped: out.skipped })
})

t.test('pricing: bare-metal results only fill types the shared query did not price', async (t) => {
  const metal = { tenancy: 'Dedicated', family: 'Compute Instance (bare metal)' }
  scenario({
    products: [
      productJson('m5.large', '0.096'),
      productJson('m5.metal', '4.608', metal),
      productJson('c5.metal', '4.08', metal),
      productJson('m5.large', '0.2', metal), // already priced by the shared query
      productJson('m5.xlarge', '0.25', { tenancy: 'Dedicated' }), // dedicated, not bare metal: neither query
    ],
  })
  const out = await fetchPrices('us-east-1', { pricingClient: pricing() })
  t.same(
    out.prices.map((p) => [p.instanceType, p.usdPerHour]),
    [
      ['c5.metal', 4.08],
      ['m5.large', 0.096],
      ['m5.metal', 4.608],
    ],
  )
  t.same(out.skipped, { 'bare-metal-already-priced': 1 })
  t.equal(out.pages, 2)
})

t.test('throttling is retried by the SDK standard strategy, then succeeds', async (t) => {
  t.test('Pricing ThrottlingException (custom strategy with tiny delays)', async (t) => {
    scenario({ products: generateProducts(250), pricingThrottle: { count: 2, onPage: 2 } })
    const out = await fetchPrices('us-east-1', { pricingClient: pricing(3) })
    t.equal(out.prices.length, 250)
    const page2 = seen('pricing').filter((r) => r.page === 2 && r.filters?.['tenancy'] === 'Shared')
    t.same(page2.map((r) => r.status), [400, 400, 200], 'three attempts for page 2')
  })

  t.test('EC2 RequestLimitExceeded (custom strategy with tiny delays)', async (t) => {
    scenario({ instanceTypes: generateInstanceTypes(150), ec2Throttle: { count: 2 } })
    const out = await fetchInstanceTypes('us-east-1', { ec2ClientFor: ec2For(3) })
    t.equal(out.instanceTypes.length, 150)
    t.same(seen('ec2').map((r) => [r.page, r.status]), [
      [1, 503],
      [1, 503],
      [1, 200],
      [2, 200],
    ])
  })

  t.test('the stock strategy (maxAttempts only) retries both error codes too', async (t) => {
    // The SDK's own throttling backoff: random up to 1 s for the first retry.
    scenario({ products: generateProducts(5), instanceTypes: generateInstanceTypes(5) })
    fake.setScenario({ pricingThrottle: { count: 1 }, ec2Throttle: { count: 1 } })
    const p = new PricingClient({ region: 'us-east-1', endpoint: fake.url, credentials, maxAttempts: 2 })
    const e = new EC2Client({ region: 'us-east-1', endpoint: fake.url, credentials, maxAttempts: 2 })
    t.teardown(() => {
      p.destroy()
      e.destroy()
    })
    const out = await fetchCatalog(['us-east-1'], { pricingClient: p, ec2ClientFor: () => e })
    t.equal(out.prices.length, 5)
    t.equal(out.instanceTypes.length, 5)
    // The first call of each service is throttled once, then everything answers.
    t.same(seen('ec2').map((r) => [r.operation, r.status]), [
      ['DescribeInstanceTypes', 503],
      ['DescribeInstanceTypes', 200],
      ['DescribeSpotPriceHistory', 200],
    ])
    t.same(seen('pricing').map((r) => r.status), [400, 200, 200, 200], 'shared (throttled, then answered), bare metal, gp3')
  })
})

t.test('throttling beyond maxAttempts rejects', async (t) => {
  t.test('Pricing', async (t) => {
    scenario({ products: generateProducts(10), pricingThrottle: { count: 100 } })
    const err = await fetchPrices('us-east-1', { pricingClient: pricing(3) }).then(
      () => null,
      (e: Error) => e,
    )
    t.match(err?.message, /GetProducts \(shared\) for us-east-1 failed on page 1: ThrottlingException/)
    t.equal((err?.cause as Error | undefined)?.name, 'ThrottlingException')
    t.equal(seen('pricing').length, 3, 'maxAttempts = 3 requests')
  })

  t.test('EC2', async (t) => {
    scenario({ instanceTypes: generateInstanceTypes(10), ec2Throttle: { count: 100 } })
    await t.rejects(fetchInstanceTypes('us-east-1', { ec2ClientFor: ec2For(2) }), {
      message: /DescribeInstanceTypes for us-east-1 failed on page 1: RequestLimitExceeded/,
      cause: { name: 'RequestLimitExceeded' },
    })
    t.equal(seen('ec2').length, 2)
  })

  t.test('maxAttempts option on the clients built here', async (t) => {
    scenario({ products: generateProducts(10), pricingThrottle: { count: 100 } })
    await withEnv(
      { AWS_ENDPOINT_URL_PRICING: fake.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_SESSION_TOKEN: undefined },
      () => t.rejects(fetchPrices('us-east-1', { maxAttempts: 2 }), /ThrottlingException/),
    )
    t.equal(seen('pricing').length, 2)
  })
})

t.test('a mid-run failure rejects the whole fetch (the caller then writes nothing)', async (t) => {
  t.test('Pricing: HTTP 500 from page 3 on', async (t) => {
    scenario({ products: generateProducts(500), pricingFailure: { afterPage: 2, kind: 'http500' } })
    await t.rejects(fetchPrices('us-east-1', { pricingClient: pricing(2) }), {
      message: /failed on page 3: InternalErrorException/,
    })
    t.same(seen('pricing').map((r) => [r.page, r.status]), [
      [1, 200],
      [2, 200],
      [3, 500],
      [3, 500],
    ], '500 is transient: retried, then given up')
  })

  t.test('EC2: connection reset from page 2 on', async (t) => {
    scenario({ instanceTypes: generateInstanceTypes(250), ec2Failure: { afterPage: 1, kind: 'reset' } })
    await t.rejects(fetchInstanceTypes('us-east-1', { ec2ClientFor: ec2For(2) }), { message: /failed on page 2/ })
    t.same(seen('ec2').map((r) => r.status), [200, 'reset', 'reset'])
  })

  t.test('EC2: HTTP 500', async (t) => {
    scenario({ instanceTypes: generateInstanceTypes(250), ec2Failure: { afterPage: 2, kind: 'http500' } })
    await t.rejects(fetchInstanceTypes('us-east-1', { ec2ClientFor: ec2For(1) }), { message: /page 3: InternalError/ })
  })

  t.test('fetchCatalog: a failure in the second region loses the first region too', async (t) => {
    scenario({
      products: generateProducts(20),
      instanceTypes: { 'us-east-1': generateInstanceTypes(20), 'us-west-2': generateInstanceTypes(250) },
      ec2Failure: { afterPage: 1, kind: 'reset' },
    })
    await t.rejects(fetchCatalog(['us-east-1', 'us-west-2'], { pricingClient: pricing(), ec2ClientFor: ec2For(1), regionConcurrency: 1 }), {
      message: /DescribeInstanceTypes for us-west-2 failed on page 2/,
    })
    t.equal(seen('pricing').length, 3, 'one region at a time: us-east-1 was fully read (shared, bare metal, gp3) before us-west-2 failed')
  })

  t.test('fetchCatalog, regions at once: one region failing stops the others, and its failure is the answer', async (t) => {
    scenario({
      products: generateProducts(20),
      instanceTypes: generateInstanceTypes(20),
      spotPrices: [spotPrice('gen1.large', 'us-east-1a', '0.001')],
      regionFailure: { region: 'eu-west-1', operation: 'DescribeInstanceTypes' },
    })
    await t.rejects(fetchCatalog(['us-east-1', 'eu-west-1', 'ap-south-1'], { pricingClient: pricing(), ec2ClientFor: ec2For(2) }), {
      message: /^DescribeInstanceTypes for eu-west-1 failed on page 1: InternalError/,
    })
    t.same(
      seen('ec2')
        .filter((r) => r.signingRegion === 'eu-west-1')
        .map((r) => r.status),
      [500, 500],
      'retried, then given up',
    )
  })
})

t.test('fetchCatalog: union of regions, prices per region, disagreements counted', async (t) => {
  const east = [
    instanceTypeXmlItem({ name: 'm5.large' }),
    instanceTypeXmlItem({ name: 'c5.large', maxEnis: 3, ipv4PerEni: 10 }),
  ]
  const west = [
    instanceTypeXmlItem({ name: 'm5.large' }),
    instanceTypeXmlItem({ name: 'c5.large', maxEnis: 4, ipv4PerEni: 10 }),
    instanceTypeXmlItem({ name: 'r5.large' }),
    instanceTypeXmlItem({ name: null }),
  ]
  scenario({
    instanceTypes: { 'us-east-1': east, 'us-west-2': west },
    products: [
      productJson('m5.large', '0.096'),
      productJson('m5.large', '0.096', { region: 'us-west-2' }),
      productJson('r5.large', '0.126', { region: 'us-west-2' }),
      productJson('x.free', '0', { region: 'us-west-2' }),
      storageProductJson('us-west-2', '0.0960000000'),
    ],
  })
  const { log, lines } = captureLog()
  const out = await fetchCatalog(['us-east-1', 'us-west-2', 'us-east-1'], { pricingClient: pricing(), ec2ClientFor: ec2For(), log })
  t.same(
    out.instanceTypes.map((x) => [x.name, x.maxEnis]),
    [
      ['c5.large', 3],
      ['m5.large', 3],
      ['r5.large', 3],
    ],
  )
  t.same(
    out.prices.map((p) => [p.region, p.instanceType, p.usdPerHour]),
    [
      ['us-east-1', 'm5.large', 0.096],
      ['us-west-2', 'm5.large', 0.096],
      ['us-west-2', 'r5.large', 0.126],
    ],
  )
  t.same(out.skipped, { 'region-disagreement': 1, 'no-name': 1, 'zero-price': 1 })
  t.equal(out.pages, 2 * (1 + 2 + 1 + 1), 'per region, once each: one page of types, two of prices, one of spot prices, one of gp3')
  t.same(out.regions, ['us-east-1', 'us-west-2'])
  t.same(out.storagePrices?.map((p) => [p.region, p.usdPerGbMonth]), [['us-west-2', 0.096]], 'gp3 where the Price List has it')
  t.same(out.notEnabled, [], 'regions asked for by name are all asked of EC2')
  t.same([...new Set(seen('ec2').map((r) => r.signingRegion))].sort(), ['us-east-1', 'us-west-2'])
  t.ok(lines.some((l) => l.level === 'warn' && /disagree/.test(l.m ?? '')))
})

t.test('AWS_ENDPOINT_URL_* env vars are honoured by the clients built here', async (t) => {
  const base = {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: undefined,
  }
  const opts: AwsSourceOptions = { retryStrategy: fastRetry(2) }

  t.test('service-specific variables', async (t) => {
    scenario({
      products: [productJson('m5.large', '0.096', { region: 'eu-west-1' })],
      instanceTypes: [instanceTypeXmlItem({ name: 'm5.large' })],
    })
    const out = await withEnv(
      { ...base, AWS_ENDPOINT_URL: undefined, AWS_ENDPOINT_URL_PRICING: fake.url, AWS_ENDPOINT_URL_EC2: fake.url },
      () => fetchCatalog(['eu-west-1'], opts),
    )
    t.equal(out.prices.length, 1)
    t.equal(out.instanceTypes.length, 1)
    const p = seen('pricing')
    t.equal(p.length, 3, 'shared, bare metal, gp3')
    t.ok(p.every((r) => r.signed && r.signingRegion === 'eu-central-1' && r.filters?.['regionCode'] === 'eu-west-1'))
    t.same(
      seen('ec2').map((r) => [r.operation, r.signed, r.signingRegion]),
      [
        ['DescribeInstanceTypes', true, 'eu-west-1'],
        ['DescribeSpotPriceHistory', true, 'eu-west-1'],
      ],
    )
  })

  t.test('the global AWS_ENDPOINT_URL', async (t) => {
    scenario({
      products: [productJson('m5.large', '0.1', { region: 'ap-northeast-1' })],
      instanceTypes: [instanceTypeXmlItem({ name: 'm5.large' })],
    })
    const out = await withEnv(
      { ...base, AWS_ENDPOINT_URL: fake.url, AWS_ENDPOINT_URL_PRICING: undefined, AWS_ENDPOINT_URL_EC2: undefined },
      () => fetchCatalog(['ap-northeast-1'], opts),
    )
    t.equal(out.prices.length, 1)
    t.equal(seen('pricing')[0]?.signingRegion, 'ap-south-1')
    t.equal(seen('ec2')[0]?.signingRegion, 'ap-northeast-1')
  })
})

t.test('an endpoint that accepts and never answers', async (t) => {
  const env = fakeAwsEnv(fake.url)
  const settled = async () => {
    // The client gave up: the held request's socket is closed on the fake's side too.
    for (let i = 0; i < 100 && fake.hanging() > 0; i++) await new Promise((r) => setTimeout(r, 10))
    return fake.hanging()
  }

  t.test('httpHandlerOptions: the request timeout throws (it only warns by default), and covers a stalled answer', async (t) => {
    t.same(httpHandlerOptions(), {
      connectionTimeout: DEFAULT_CONNECTION_TIMEOUT_MS,
      requestTimeout: DEFAULT_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
      socketTimeout: DEFAULT_REQUEST_TIMEOUT_MS,
    })
    t.same(httpHandlerOptions({ connectionTimeoutMs: 100, requestTimeoutMs: 200 }), {
      connectionTimeout: 100,
      requestTimeout: 200,
      throwOnRequestTimeout: true,
      socketTimeout: 200,
    })
  })

  t.test('the clients built here give up after their request timeout, each attempt', async (t) => {
    scenario({ instanceTypes: generateInstanceTypes(250), ec2Failure: { afterPage: 1, kind: 'hang' } })
    const started = Date.now()
    const err = await withEnv(env, () =>
      fetchInstanceTypes('us-east-1', { requestTimeoutMs: 200, retryStrategy: fastRetry(2) }).then(
        () => null,
        (e: Error) => e,
      ),
    )
    const ms = Date.now() - started
    t.match(err?.message, /^DescribeInstanceTypes for us-east-1 failed on page 2: TimeoutError: .*200 ms requestTimeout/)
    t.equal((err?.cause as Error | undefined)?.name, 'TimeoutError')
    t.ok(ms >= 400 && ms < 3000, `two attempts of 200 ms each, then given up (${ms} ms)`)
    t.same(seen('ec2').map((r) => [r.page, r.status]), [
      [1, 200],
      [2, 'hang'],
      [2, 'hang'],
    ], 'page 1 answered, page 2 held twice')
    t.equal(await settled(), 0, 'no request is left open')
  })

  t.test('the abort signal stops a call in flight on any client (here without timeouts), and no retry follows', async (t) => {
    scenario({ products: generateProducts(10), pricingFailure: { afterPage: 0, kind: 'hang' } })
    const stop = new AbortController()
    const timer = setTimeout(() => stop.abort(new Error('deadline')), 300)
    t.teardown(() => clearTimeout(timer))
    const started = Date.now()
    const err = await fetchPrices('us-east-1', { pricingClient: pricing(5), abortSignal: stop.signal }).then(
      () => null,
      (e: Error) => e,
    )
    const ms = Date.now() - started
    t.match(err, { name: 'AbortError', message: 'GetProducts (shared) for us-east-1 was stopped on page 1' })
    t.equal((err?.cause as Error | undefined)?.name, 'AbortError', 'the SDK says it was aborted')
    t.ok(ms >= 250 && ms < 2000, `stopped when the signal fired (${ms} ms)`)
    t.equal(seen('pricing').length, 1, 'one request: an aborted call is not retried')
    t.equal(await settled(), 0, 'the held request was destroyed')
  })

  t.test('an aborted signal stops fetchCatalog before it sends anything more', async (t) => {
    scenario({ products: generateProducts(10), instanceTypes: generateInstanceTypes(10) })
    const stop = new AbortController()
    stop.abort(new Error('deadline'))
    await t.rejects(fetchCatalog(['us-east-1'], { pricingClient: pricing(), ec2ClientFor: ec2For(), abortSignal: stop.signal }), {
      name: 'AbortError',
      message: /^DescribeInstanceTypes for us-east-1 was stopped on page 1/,
    })
    t.equal(fake.requests.length, 0)
  })
})

// ------------------------------------------------------------------ reserved, spot, gp3, regions (issue 20)

t.test('reserved: the 1-year standard no-upfront rate, from the same product document as on demand', async (t) => {
  const doc = productJson('m5.large', '0.0960000000', { reserved: '0.0600000000' })
  t.same(parsePriceListEntry(doc), { ok: true, instanceType: 'm5.large', usd: '0.0960000000', reservedUsd: '0.0600000000' })
  const parsed = JSON.parse(doc) as { terms: { Reserved: Record<string, unknown> } }
  t.equal(Object.keys(parsed.terms.Reserved).length, 12, 'the twelve terms AWS sends: the right one has to be picked')

  const only = (specs: ReservedTermSpec[]) =>
    parseReserved1y((JSON.parse(productJson('m5.large', '0.096', { reservedTerms: specs })) as { terms: { Reserved: unknown } }).terms.Reserved)
  const noUpfront1y = { length: '1yr', offeringClass: 'standard', purchaseOption: 'No Upfront' } as const
  t.same(only([{ ...noUpfront1y, hourly: '0.0610000000' }]), { ok: true, usd: '0.0610000000' })
  t.same(only([{ ...noUpfront1y, hourly: '0.06', upfront: '0' }]), { ok: true, usd: '0.06' }, 'a zero fee is no fee')
  t.same(only([{ ...noUpfront1y, hourly: '0.06', upfront: '120' }]), { ok: false, reason: 'reserved-upfront-fee' })
  t.same(only([{ ...noUpfront1y, hourly: 'n/a' }]), { ok: false, reason: 'reserved-bad-price' })
  t.same(only([{ ...noUpfront1y, hourly: '0.0000000000' }]), { ok: false, reason: 'reserved-zero-price' })
  t.equal(
    only(reservedTermsAround(0.06).filter((r) => !(r.length === '1yr' && r.offeringClass === 'standard' && r.purchaseOption === 'No Upfront'))),
    undefined,
    'the other eleven terms are not it: no reserved price, and no skip',
  )
  t.equal(parseReserved1y(undefined), undefined)
  t.equal(parseReserved1y({}), undefined)

  const noRi = parsePriceListEntry(productJson('m5.large', '0.096'))
  t.same(noRi, { ok: true, instanceType: 'm5.large', usd: '0.096' }, 'a type sold on demand only')
  const badRi = parsePriceListEntry(productJson('m5.large', '0.096', { reservedTerms: [{ ...noUpfront1y, hourly: '-1' }] }))
  t.same(badRi, { ok: true, instanceType: 'm5.large', usd: '0.096', reservedSkip: 'reserved-bad-price' }, 'a bad reserved term costs the on-demand price nothing')
})

t.test('fetchPrices: reserved rows beside on-demand ones, one per type, only where on demand is priced', async (t) => {
  const now = new Date('2026-11-01T12:00:00Z')
  scenario({
    products: [
      productJson('m5.large', '0.096', { reserved: '0.060' }),
      productJson('c5.large', '0.085', { reserved: '0.053' }),
      productJson('r5.large', '0.126'), // no reserved terms
      productJson('x1.zero', '0', { reserved: '0.5' }), // no on-demand price: no reserved one either
      productJson('z1.fee', '0.3', { reservedTerms: [{ length: '1yr', offeringClass: 'standard', purchaseOption: 'No Upfront', hourly: '0.2', upfront: '99' }] }),
    ],
  })
  const out = await fetchPrices('us-east-1', { pricingClient: pricing(), now: () => now })
  t.same(
    out.prices.map((p) => [p.capacityType ?? 'on-demand', p.instanceType, p.usdPerHour]),
    [
      ['on-demand', 'c5.large', 0.085],
      ['on-demand', 'm5.large', 0.096],
      ['on-demand', 'r5.large', 0.126],
      ['on-demand', 'z1.fee', 0.3],
      ['reserved-1y', 'c5.large', 0.053],
      ['reserved-1y', 'm5.large', 0.06],
    ],
  )
  t.same(out.prices.find((p) => p.capacityType === 'reserved-1y'), {
    region: 'us-east-1',
    instanceType: 'c5.large',
    usdPerHour: 0.053,
    source: 'aws-pricing-api',
    asOf: now.toISOString(),
    capacityType: 'reserved-1y',
  })
  t.same(out.skipped, { 'zero-price': 1, 'reserved-upfront-fee': 1 })
  t.equal(seen('pricing').length, 2, 'no extra call: the same GetProducts pages')
})

t.test('gp3: the GB-month rate of the Storage product, gp3 only', async (t) => {
  scenario({
    products: [
      storageProductJson('us-east-1', '0.0800000000'),
      storageProductJson('us-east-1', '0.1000000000', 'gp2'),
      storageProductJson('eu-west-1', '0.0880000000'),
      productJson('m5.large', '0.096'),
    ],
  })
  const now = new Date('2026-11-01T12:00:00Z')
  const us = await fetchStoragePrice('us-east-1', { pricingClient: pricing(), now: () => now })
  t.same(us, { storagePrice: { region: 'us-east-1', volumeType: 'gp3', usdPerGbMonth: 0.08, source: 'aws-pricing-api', asOf: now.toISOString() }, skipped: {}, pages: 1 })
  t.same(seen('pricing')[0]?.filters, { regionCode: 'us-east-1', productFamily: 'Storage', volumeApiName: 'gp3' })
  const none = await fetchStoragePrice('ap-south-1', { pricingClient: pricing() })
  t.equal(none.storagePrice, null, 'no gp3 product: no price, not a made-up one')

  scenario({ products: [storageProductJson('us-east-1', '0.08'), storageProductJson('us-east-1', '0.09'), storageProductJson('us-east-1', 'free')] })
  const conflict = await fetchStoragePrice('us-east-1', { pricingClient: pricing() })
  t.equal(conflict.storagePrice?.usdPerGbMonth, 0.08, 'the first one is kept')
  t.same(conflict.skipped, { 'storage-duplicate-conflict': 1, 'storage-bad-price': 1 })
})

t.test('median: the middle price, or the mean of the two middle ones, to the micro-dollar', async (t) => {
  t.equal(median([0.3]), 0.3)
  t.equal(median([0.5, 0.1, 0.3]), 0.3)
  t.equal(median([0.4, 0.1, 0.3, 0.2]), 0.25)
  t.equal(median([0.0345, 0.0346]), 0.03455)
  t.equal(median([0.1, 0.2, 0.2, 1000]), 0.2, 'one odd zone does not move it')
  t.equal(median([0.0000011, 0.0000012]), 0.000001, 'six decimals, as the catalog stores them')
})

t.test('spot: latest price per type and AZ, the median over AZs, paginated by NextToken', async (t) => {
  const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e']
  // 600 types × 5 AZs = 3000 entries: three pages of 1000.
  const entries: FakeSpotPrice[] = []
  for (let i = 0; i < 600; i++) zones.forEach((z, j) => entries.push(spotPrice(`gen${i}.large`, z, ((i + 1) / 1000 + j / 10_000).toFixed(6), `2026-10-2${j}T00:00:00.000Z`)))
  scenario({ spotPrices: entries })
  const now = new Date('2026-11-01T12:00:00Z')
  const { log, lines } = captureLog()
  const out = await fetchSpotPrices('us-east-1', { ec2ClientFor: ec2For(), now: () => now, log })
  t.equal(out.prices.length, 600)
  t.equal(out.pages, 3)
  t.same(out.skipped, {})
  t.same(out.prices.find((p) => p.instanceType === 'gen42.large'), {
    region: 'us-east-1',
    instanceType: 'gen42.large',
    usdPerHour: 0.0432,
    source: 'aws-ec2-spot-price-history',
    asOf: now.toISOString(),
    capacityType: 'spot',
    azCount: 5,
    spotTimestamp: '2026-10-24T00:00:00.000Z',
  })
  const reqs = seen('ec2')
  t.same(reqs.map((r) => [r.operation, r.page, r.maxResults, r.signingRegion]), [1, 2, 3].map((n) => ['DescribeSpotPriceHistory', n, SPOT_PAGE_SIZE, 'us-east-1']))
  t.ok(reqs.every((r) => r.signed && r.version === '2016-11-15'))
  t.same(reqs[0]?.productDescriptions, ['Linux/UNIX'], 'ProductDescription.1=Linux/UNIX, as the EC2 query protocol sends a list')
  t.equal(reqs[0]?.startTime, now.toISOString().replace('.000Z', 'Z'), 'StartTime now: AWS answers with the price in effect now')
  t.equal(reqs[0]?.nextToken, undefined)
  t.ok(reqs[1]?.nextToken)
  t.match(lines.find((l) => l.level === 'info')?.o, { region: 'us-east-1', spotPrices: 600, pages: 3 })
})

t.test('spot: the newest entry per AZ wins; other systems, malformed entries and zeros are left out', async (t) => {
  scenario({
    spotPrices: [
      spotPrice('m5.large', 'us-east-1a', '0.0400', '2026-10-01T00:00:00.000Z'),
      spotPrice('m5.large', 'us-east-1a', '0.0350', '2026-10-30T00:00:00.000Z'), // newer: counts
      spotPrice('m5.large', 'us-east-1a', '0.0900', '2026-09-01T00:00:00.000Z'), // older: ignored
      spotPrice('m5.large', 'us-east-1b', '0.0370', '2026-10-02T00:00:00.000Z'),
      { ...spotPrice('m5.large', 'us-east-1c', '0.2000'), productDescription: 'Windows' }, // filtered by the API
      spotPrice('c5.large', 'us-east-1a', '0.0300'),
      spotPrice('c5.large', 'us-east-1b', 'free'),
      spotPrice('c5.large', 'us-east-1c', '0.000000'),
      spotPrice('c5.large', '', '0.0300'),
    ],
  })
  const out = await fetchSpotPrices('us-east-1', { ec2ClientFor: ec2For() })
  t.same(
    out.prices.map((p) => [p.instanceType, p.usdPerHour, p.azCount, p.spotTimestamp]),
    [
      ['c5.large', 0.03, 1, '2026-10-31T08:00:00.000Z'],
      ['m5.large', 0.036, 2, '2026-10-30T00:00:00.000Z'],
    ],
  )
  t.same(out.skipped, { 'spot-bad-price': 1, 'spot-zero-price': 1, 'spot-no-zone': 1 })
})

t.test('spot: throttling is retried; a failure or a runaway NextToken rejects', async (t) => {
  const entries = Array.from({ length: 30 }, (_, i) => spotPrice(`gen${i}.large`, 'us-east-1a', '0.01'))
  scenario({ spotPrices: entries, spotPageSize: 10, spotThrottle: { count: 1, onPage: 2 } })
  const ok = await fetchSpotPrices('us-east-1', { ec2ClientFor: ec2For(2) })
  t.equal(ok.prices.length, 30)
  t.same(seen('ec2').map((r) => [r.page, r.status]), [[1, 200], [2, 503], [2, 200], [3, 200]])

  scenario({ spotPrices: entries, spotPageSize: 10, spotFailure: { afterPage: 1, kind: 'http500' } })
  await t.rejects(fetchSpotPrices('us-east-1', { ec2ClientFor: ec2For(2) }), { message: /^DescribeSpotPriceHistory for us-east-1 failed on page 2: InternalError/ })

  scenario({ spotPrices: entries, spotPageSize: 10 })
  await t.rejects(fetchSpotPrices('us-east-1', { ec2ClientFor: ec2For(), maxPages: 2 }), {
    message: /DescribeSpotPriceHistory for us-east-1 returned more than 2 pages; stopped there \(MAX_PAGES\)/,
  })
  t.equal(seen('ec2').length, 3, 'the page past the cap is the last one asked for')
})

t.test('regions: the commercial partition only, by the AWS SDK rule', async (t) => {
  for (const code of COMMERCIAL_REGIONS) t.equal(nonCommercialReason(code), null, code)
  t.ok(COMMERCIAL_REGIONS.every((c) => AWS_COMMERCIAL_REGION.test(c)))
  const cases: Array<[string, string]> = [
    ['us-gov-west-1', 'region-code-govcloud'],
    ['us-gov-east-1', 'region-code-govcloud'],
    ['cn-north-1', 'region-code-china'],
    ['cn-northwest-1', 'region-code-china'],
    ['us-iso-east-1', 'region-code-other-partition'],
    ['us-isob-east-1', 'region-code-other-partition'],
    ['us-isof-south-1', 'region-code-other-partition'],
    ['eu-isoe-west-1', 'region-code-other-partition'],
    ['eusc-de-east-1', 'region-code-other-partition'],
    ['us-east-1-bos-1', 'region-code-not-a-region'],
    ['us-west-2-lax-1', 'region-code-not-a-region'],
    ['us-east-1-wl1-bos-wlz-1', 'region-code-not-a-region'],
    ['aws-global', 'region-code-not-a-region'],
    ['GLOBAL', 'region-code-not-a-region'],
    ['', 'region-code-not-a-region'],
  ]
  for (const [code, why] of cases) t.equal(nonCommercialReason(code), why, code || '(empty)')
})

t.test('fetchPricedRegions: GetAttributeValues(regionCode) over pages, commercial codes kept', async (t) => {
  const codes = [...COMMERCIAL_REGIONS, ...NON_REGION_CODES, 'cn-north-1']
  scenario({ regionCodes: codes, pricingPageSize: 10 })
  const out = await fetchPricedRegions({ pricingClient: pricing() })
  t.same(out.regions, [...COMMERCIAL_REGIONS].sort())
  t.same(out.skipped, { 'region-code-govcloud': 2, 'region-code-not-a-region': 3, 'region-code-other-partition': 1, 'region-code-china': 1 })
  t.equal(out.pages, Math.ceil(codes.length / 10))
  const reqs = seen('pricing')
  t.ok(reqs.every((r) => r.operation === 'AWSPriceListService.GetAttributeValues' && r.serviceCode === 'AmazonEC2' && r.attributeName === 'regionCode'))
  t.ok(reqs.every((r) => r.maxResults === 100 && r.signed && r.signingRegion === 'us-east-1'))

  scenario({ regionCodes: codes, pricingPageSize: 10 })
  await t.rejects(fetchPricedRegions({ pricingClient: pricing(), maxPages: 3 }), { message: /GetAttributeValues \(regionCode\) returned more than 3 pages/ })
})

t.test('fetchEnabledRegions: DescribeRegions with AllRegions, opted-in or needing no opt-in', async (t) => {
  scenario({
    ec2Regions: [
      { name: 'us-east-1', optInStatus: 'opt-in-not-required' },
      { name: 'af-south-1', optInStatus: 'opted-in' },
      { name: 'me-south-1', optInStatus: 'not-opted-in' },
    ],
  })
  const enabled = await fetchEnabledRegions({ ec2ClientFor: ec2For(), homeRegion: 'eu-west-1' })
  t.same([...enabled].sort(), ['af-south-1', 'us-east-1'])
  t.same(seen('ec2').map((r) => [r.operation, r.allRegions, r.signingRegion]), [['DescribeRegions', true, 'eu-west-1']])
})

t.test('fetchCatalog(ALL_REGIONS): every commercial region the Price List knows, EC2 only where enabled', async (t) => {
  const regions = ['us-east-1', 'eu-west-1', 'ap-south-1', 'me-south-1']
  fake.requests.length = 0
  fake.setScenario({ synthetic: { regions, typesPerRegion: 30, notOptedIn: ['me-south-1'] } })
  t.teardown(() => scenario({}))
  const { log, lines } = captureLog()
  const out = await fetchCatalog(ALL_REGIONS, { pricingClient: pricing(), ec2ClientFor: ec2For(), log })
  t.same(out.regions, [...regions].sort(), 'the non-region codes the Price List also lists are left out')
  t.same(out.notEnabled, ['me-south-1'])
  t.equal(out.instanceTypes.length, 30)
  const count = (region: string, kind: string) => out.prices.filter((p) => p.region === region && (p.capacityType ?? 'on-demand') === kind).length
  for (const r of ['us-east-1', 'eu-west-1', 'ap-south-1']) {
    t.same([count(r, 'on-demand'), count(r, 'reserved-1y'), count(r, 'spot')], [30, 30, 30], `${r}: every kind`)
  }
  t.same([count('me-south-1', 'on-demand'), count('me-south-1', 'reserved-1y'), count('me-south-1', 'spot')], [30, 30, 0], 'not enabled: Price List prices only')
  t.equal(out.storagePrices?.length, 4)
  t.equal(out.prices.find((p) => p.region === 'us-east-1' && p.capacityType === 'spot')?.azCount, 6)
  t.notOk(seen('ec2').some((r) => r.signingRegion === 'me-south-1'), 'no EC2 call where the account has not opted in')
  t.same(out.skipped, { 'region-code-govcloud': 2, 'region-code-not-a-region': 3, 'region-code-other-partition': 1 })
  t.ok(lines.some((l) => l.level === 'warn' && /not enabled/.test(l.m ?? '')))
})
