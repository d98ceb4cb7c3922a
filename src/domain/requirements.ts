// The requirement names of CONTRACT.md "Requirements", as one table that REST (body and query),
// GraphQL (RequirementsInput) and Slack (`key=value`) all parse with.
import { parseFields, type FieldTable, type ParseOptions } from './fields.js'
import { LEVELS, PERFORMANCE, type Requirements } from './types.js'

const level = (what: string) =>
  ({ type: 'enum', values: LEVELS, default: 'none', description: `${what}: required (hard constraint), preferred (scored) or none` }) as const

export const INSTANCE_TYPE_PATTERN = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d$/
const CIDR_PATTERN = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/

export const REQUIREMENT_FIELDS = {
  performance: {
    type: 'enum',
    values: PERFORMANCE,
    default: 'medium',
    description: 'How sensitive the workload is to network latency and throughput',
  },
  multicast: level('Pods send or receive IP multicast'),
  encryption: level('Pod-to-pod traffic between nodes must be encrypted'),
  networkPolicy: level('Kubernetes NetworkPolicy must be enforced'),
  securityGroupsForPods: level('Individual pods need their own EC2 security groups'),
  flowLogs: level('Pod IPs must be visible in VPC Flow Logs and to security groups'),
  portability: level('The same CNI should run outside AWS'),
  ipv6: level('Pods get IPv6 addresses (an IPv6 cluster)'),
  fargate: { type: 'boolean', default: false, description: 'Some pods run on EKS Fargate' },
  windows: { type: 'boolean', default: false, description: 'The cluster has Windows nodes' },
  instanceTypes: {
    type: 'list',
    item: INSTANCE_TYPE_PATTERN,
    allowed: 'an EC2 instance type name like m5.large',
    maxItems: 50,
    default: ['m5.large'],
    description: 'Instance types the nodes would use',
  },
  region: {
    type: 'string',
    pattern: REGION_PATTERN,
    allowed: 'an AWS region code like us-east-1',
    maxLength: 32,
    default: 'us-east-1',
    description: 'AWS region (for prices)',
  },
  podsPerNode: { type: 'integer', min: 1, max: 100_000, description: 'Workload pods each node must be able to run' },
  totalPods: { type: 'integer', min: 1, max: 10_000_000, description: 'Workload pods in the whole cluster' },
  podIpBudget: {
    type: 'integer',
    min: 1,
    max: 16_777_216,
    description: 'VPC IPv4 addresses available to pods (or give podSubnets)',
  },
  podSubnets: {
    type: 'list',
    item: CIDR_PATTERN,
    allowed: 'an IPv4 CIDR like 10.0.0.0/19',
    maxItems: 64,
    description: 'Subnets (CIDRs) the pods draw addresses from; their usable addresses become podIpBudget',
  },
  daemonSetsPerNode: {
    type: 'integer',
    min: 0,
    max: 500,
    default: 0,
    description: 'Non-host-network DaemonSet pods every node runs',
  },
} as const satisfies FieldTable

/**
 * Parses and defaults requirements. `podSubnets` are checked here for shape only; the caller turns
 * them into a podIpBudget with the CIDR arithmetic of the domain (usable addresses per AWS subnet).
 */
export function parseRequirements(raw: unknown, opts: ParseOptions): Requirements {
  const r = parseFields(REQUIREMENT_FIELDS, raw, opts)
  return { ...r, instanceTypes: r.instanceTypes, podSubnets: r.podSubnets }
}
