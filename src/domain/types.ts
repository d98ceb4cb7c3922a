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

export interface Price {
  region: string
  instanceType: string
  usdPerHour: number
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
