// What the tests that drive a refresh share: the catalog as AWS would return it, real SDK clients
// pointed at the fake AWS endpoint with tiny retry delays, and a scenario reset.
import { EC2Client } from '@aws-sdk/client-ec2'
import { PricingClient } from '@aws-sdk/client-pricing'
// A dependency of the SDK (pinned in package.json): used only to make retries fast in tests.
import { ConfiguredRetryStrategy } from '@smithy/core/retry'
import type { AwsSourceOptions } from '../../src/catalog/aws-source.js'
import type { InstanceType } from '../../src/domain/types.js'
import { instanceTypeXmlItem, type FakeAws } from './fake-aws.js'

export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' }

/** An instance type as a DescribeInstanceTypes <item>; what is not given takes an m5.large-like value. */
export function instanceTypeXml(it: Pick<InstanceType, 'name'> & Partial<InstanceType>): string {
  const maxEnis = it.maxEnis ?? 3
  const cards: { index: number; maxEnis: number; baselineGbps?: number }[] = [
    { index: 0, maxEnis, ...(it.networkBandwidthMbps ? { baselineGbps: it.networkBandwidthMbps / 1000 } : {}) },
  ]
  if (it.maxEnisAllCards !== undefined && it.maxEnisAllCards > maxEnis) cards.push({ index: 1, maxEnis: it.maxEnisAllCards - maxEnis })
  return instanceTypeXmlItem({
    name: it.name,
    vcpu: it.vcpu,
    memoryMiB: it.memoryMiB,
    archs: it.arch === 'arm64' ? ['arm64'] : it.arch === null ? ['arm64_mac'] : ['x86_64'],
    hypervisor: it.hypervisor,
    bareMetal: it.bareMetal,
    maxEnis,
    maxCards: Math.max(it.networkCards ?? 1, cards.length),
    cards,
    ipv4PerEni: it.ipv4PerEni ?? 10,
    ipv6: it.ipv6Supported,
    encryptionInTransit: it.encryptionInTransit,
    networkPerformance: it.networkPerformance,
  })
}

export const fastRetry = (attempts: number) => new ConfiguredRetryStrategy(attempts, () => 5)

export interface SdkClients {
  pricing(attempts?: number): PricingClient
  /** A factory of EC2 clients per region, as AwsSourceOptions.ec2ClientFor takes it. */
  ec2For(attempts?: number): (region: string) => EC2Client
  options(attempts?: number): AwsSourceOptions
  /** Closes every client made. */
  destroy(): void
}

/** Real SDK clients on the fake with tiny retry delays (`attempts` tries per call). */
export function sdkClients(fake: FakeAws, defaultAttempts = 2): SdkClients {
  const made: { destroy(): void }[] = []
  const pricing = (attempts = defaultAttempts) => {
    const c = new PricingClient({ region: 'us-east-1', endpoint: fake.url, credentials: TEST_CREDENTIALS, retryStrategy: fastRetry(attempts) })
    made.push(c)
    return c
  }
  const ec2For = (attempts = defaultAttempts) => (region: string) => {
    const c = new EC2Client({ region, endpoint: fake.url, credentials: TEST_CREDENTIALS, retryStrategy: fastRetry(attempts) })
    made.push(c)
    return c
  }
  return {
    pricing,
    ec2For,
    options: (attempts = defaultAttempts) => ({ pricingClient: pricing(attempts), ec2ClientFor: ec2For(attempts) }),
    destroy: () => made.forEach((c) => c.destroy()),
  }
}

/** Sets a whole scenario: what `s` does not name is empty and failure-free; recorded requests are forgotten. */
export function resetScenario(fake: FakeAws, s: Parameters<FakeAws['setScenario']>[0]): void {
  fake.requests.length = 0
  fake.setScenario({
    products: [],
    instanceTypes: [],
    pricingPageSize: undefined,
    ec2PageSize: undefined,
    pricingThrottle: undefined,
    ec2Throttle: undefined,
    pricingFailure: undefined,
    ec2Failure: undefined,
    spotPrices: undefined,
    regionCodes: undefined,
    ec2Regions: undefined,
    synthetic: undefined,
    spotPageSize: undefined,
    spotThrottle: undefined,
    spotFailure: undefined,
    regionFailure: undefined,
    ...s,
  })
}
