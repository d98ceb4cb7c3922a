// The domain's vocabulary, shared by every module of the core and every door.
// Names and values follow the public contract (v1, README "Endpoints"): never rename, only add.

export const MODES = [
  'secondary-ip',
  'prefix-delegation',
  'custom-networking',
  'ipv6',
  'security-groups-for-pods',
  'overlay',
  // Added December 2026 (appended: the contract only grows).
  'custom-networking-prefix-delegation',
] as const
export type Mode = (typeof MODES)[number]

/** The operating system of the nodes a density question is about. Windows nodes give pods one ENI only. */
export const NODE_OS = ['linux', 'windows'] as const
export type NodeOs = (typeof NODE_OS)[number]

export const LEVELS = ['required', 'preferred', 'none'] as const
export type Level = (typeof LEVELS)[number]

export const PERFORMANCE = ['low', 'medium', 'high'] as const
export type Performance = (typeof PERFORMANCE)[number]

export const PLUGINS = ['aws-vpc-cni', 'calico', 'cilium', 'weave-net', 'flannel', 'eks', 'antrea'] as const
export type Plugin = (typeof PLUGINS)[number]

/** Network limits and specs of one EC2 instance type, as the catalog holds them. */
export interface InstanceType {
  name: string
  family: string
  vcpu: number | null
  memoryMiB: number | null
  arch: 'amd64' | 'arm64' | null
  /** ENIs on the default network card: what the VPC CNI can use (CNI `ENILimit`). */
  maxEnis: number
  /** IPv4 addresses per ENI, the primary included (CNI `IPv4Limit`). */
  ipv4PerEni: number
  networkCards: number
  /** ENIs over all network cards (differs from maxEnis on multi-card types). */
  maxEnisAllCards: number
  ipv6Supported: boolean
  hypervisor: 'nitro' | 'xen' | null
  bareMetal: boolean
  /** Trunk ENI possible, so security groups for pods can run (resource controller `IsTrunkingCompatible`). */
  trunking: boolean
  branchEnis: number
  /** EC2 `EncryptionInTransitSupported`; null where no source lists the type. */
  encryptionInTransit: boolean | null
  networkPerformance: string | null
  networkBandwidthMbps: number | null
}

/** How the nodes are bought (CONTRACT.md "Additions"): the price kinds the catalog holds per type and region.
 *  - on-demand: the Price List API's OnDemand term;
 *  - spot: EC2 DescribeSpotPriceHistory, Linux/UNIX, the median of the latest price in each AZ;
 *  - reserved-1y: the Price List API's Reserved term for 1 year, standard offering class, no upfront. */
export const CAPACITY_TYPES = ['on-demand', 'spot', 'reserved-1y'] as const
export type CapacityType = (typeof CAPACITY_TYPES)[number]

export interface Price {
  region: string
  instanceType: string
  usdPerHour: number
  source: string
  /** When this price was read (a refresh's clock), or the date of the table the seed took it from. */
  asOf: string
  /** Absent means on-demand: every row from before migration 003, and the seed's. */
  capacityType?: CapacityType
  /** Spot only: how many Availability Zones the median is over. */
  azCount?: number
  /** Spot only: the newest DescribeSpotPriceHistory Timestamp among those AZs (when AWS last set a price). */
  spotTimestamp?: string
}

/** The on-demand price of one EBS volume type in a region, per GB-month (the Price List API's "GB-Mo"). */
export interface StoragePrice {
  region: string
  /** Only gp3 today, the volume type the node overhead (`ebsGiB`) is priced at. */
  volumeType: 'gp3'
  usdPerGbMonth: number
  source: string
  asOf: string
}

/** A domain-level input error: always names the field, what was given and what is allowed. */
export class InputError extends Error {
  readonly field: string
  readonly statusCode: number
  constructor(field: string, message: string, statusCode = 400) {
    super(message)
    this.name = 'InputError'
    this.field = field
    this.statusCode = statusCode
  }
}

/** The asked-for thing does not exist (unknown instance type, region without prices...). */
export class NotFoundError extends Error {
  readonly field: string
  readonly statusCode = 404
  constructor(field: string, message: string) {
    super(message)
    this.name = 'NotFoundError'
    this.field = field
  }
}

/** What a platform team needs, as understood after defaults are filled in (CONTRACT.md "Requirements"). */
export interface Requirements {
  performance: Performance
  multicast: Level
  encryption: Level
  networkPolicy: Level
  securityGroupsForPods: Level
  flowLogs: Level
  portability: Level
  ipv6: Level
  fargate: boolean
  windows: boolean
  instanceTypes: string[]
  region: string
  podsPerNode: number | null
  totalPods: number | null
  /** VPC IPv4 addresses available to pods; when podSubnets is given, their usable addresses. */
  podIpBudget: number | null
  podSubnets: string[] | null
  daemonSetsPerNode: number
}

/** The need names whose value is a Level, in the contract's order. */
export const LEVEL_NEEDS = [
  'multicast',
  'encryption',
  'networkPolicy',
  'securityGroupsForPods',
  'flowLogs',
  'portability',
  'ipv6',
] as const
export type LevelNeed = (typeof LEVEL_NEEDS)[number]
