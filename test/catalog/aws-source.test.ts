import t from 'tap'
import { PricingClient, GetProductsCommand } from '@aws-sdk/client-pricing'
import { EC2Client } from '@aws-sdk/client-ec2'
import {
  DEFAULT_CONNECTION_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  fetchCatalog,
  fetchInstanceTypes,
  fetchPrices,
  httpHandlerOptions,
  parsePriceListEntry,
  pricingEndpointRegion,
  type AwsSourceOptions,
} from '../../src/catalog/aws-source.js'
import {
  generateInstanceTypes,
  generateProducts,
  instanceTypeXmlItem,
  productJson,
  startFakeAws,
  type FakeAws,
  type RecordedRequest,
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
    t.same(seen('ec2').map((r) => r.status), [503, 200])
    t.same(seen('pricing').map((r) => r.status), [400, 200, 200])
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
    await t.rejects(fetchCatalog(['us-east-1', 'us-west-2'], { pricingClient: pricing(), ec2ClientFor: ec2For(1) }), {
      message: /DescribeInstanceTypes for us-west-2 failed on page 2/,
    })
    t.equal(seen('pricing').length, 2, 'us-east-1 was fully read before us-west-2 failed')
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
  t.equal(out.pages, 2 * (1 + 2), 'one EC2 page and two pricing pages per region, each region once')
  t.same([...new Set(seen('ec2').map((r) => r.signingRegion))], ['us-east-1', 'us-west-2'])
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
    t.equal(p.length, 2)
    t.ok(p.every((r) => r.signed && r.signingRegion === 'eu-central-1' && r.filters?.['regionCode'] === 'eu-west-1'))
    t.same(
      seen('ec2').map((r) => [r.signed, r.signingRegion]),
      [[true, 'eu-west-1']],
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
  const env = {
    AWS_ENDPOINT_URL: fake.url,
    AWS_ENDPOINT_URL_PRICING: undefined,
    AWS_ENDPOINT_URL_EC2: undefined,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: undefined,
  }
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
