// The answers that come as a table (CSV or workbook, csv.ts and xlsx.ts): one row per instance type, per
// capacity-plan row, per CNI option. Each column has a stable snake_case name (the CSV header, part of
// the contract: add columns, never rename one), its unit, and what it means and how it is worked out;
// the workbook shows the units in its header and the meanings on its Columns sheet.
// The formulas are the domain's (src/domain/density.ts, capacity.ts, vpc-ips.ts), which cite their sources.
import type { InstanceTypeView } from '../answers/answers.js'
import type { CapacityRow } from '../domain/capacity.js'
import type { RowOverhead } from '../domain/node-costs.js'
import type { ScoredOption } from '../domain/scoring.js'
import { MODES, type Mode } from '../domain/types.js'
import type { TableColumn } from './xlsx.js'

export interface TableSpec<T> {
  /** The download's name without its extension. */
  file: string
  /** The workbook's data sheet. */
  sheet: string
  /** What one row is: the first lines of the workbook's Columns sheet. */
  about: readonly string[]
  columns: readonly TableColumn<T>[]
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
const snake = (s: string) => s.replace(/-/g, '_')

/** E = ENIs on the default network card, I = IPv4 addresses per ENI (AWS eni-max-pods.txt; README "The catalog"). */
const MODE_FORMULA: Record<Mode, string> = {
  'secondary-ip': 'E × (I − 1) + 2 (AWS eni-max-pods.txt); on Windows I − 1',
  'prefix-delegation': 'E × (I − 1) × 16 + 2, Nitro types only (/28 prefixes); on Windows (I − 1) × 16',
  'custom-networking': '(E − 1) × (I − 1) + 2: the primary ENI serves no pods',
  ipv6: 'E × (I − 1) × 16 + 2, Nitro types only',
  'security-groups-for-pods': 'E × (I − 1) + 2; pods with their own security groups at most the branch ENIs; trunking types only',
  overlay: 'not address-bound: the EKS kubelet guidance (110 up to 30 vCPUs, 250 above)',
  'custom-networking-prefix-delegation': '(E − 1) × (I − 1) × 16 + 2, Nitro types only',
}

const RECOMMENDED = 'max_pods after the EKS guidance cap (110 up to 30 vCPUs, 250 above): what kubelet --max-pods gets'

export const INSTANCE_TYPES_TABLE: TableSpec<InstanceTypeView> = {
  file: 'instance-types',
  sheet: 'Instance types',
  about: [
    'cni-advisor: EC2 instance types with their network limits, on-demand price and max pods per pod-networking mode.',
    'One row per instance type. E = ENIs on the default network card (max_enis), I = IPv4 addresses per ENI (ipv4_per_eni).',
    'Empty cells: not known, or the mode cannot run on the type (GET /v1/instance-types/{name}/max-pods?mode= says why).',
  ],
  columns: [
    { name: 'name', value: (t) => t.name, about: 'EC2 instance type' },
    { name: 'family', value: (t) => t.family, about: 'Instance family: the part of the name before the dot' },
    { name: 'vcpu', value: (t) => t.vcpu, unit: 'vCPU', about: 'Default vCPUs (EC2 DescribeInstanceTypes)' },
    { name: 'memory_mib', value: (t) => t.memoryMiB, unit: 'MiB', about: 'Memory' },
    { name: 'arch', value: (t) => t.arch, about: 'CPU architecture' },
    { name: 'max_enis', value: (t) => t.maxEnis, unit: 'ENIs', about: 'E: network interfaces on the default network card' },
    { name: 'ipv4_per_eni', value: (t) => t.ipv4PerEni, unit: 'addresses', about: 'I: IPv4 addresses per network interface, the primary included' },
    { name: 'network_cards', value: (t) => t.networkCards, unit: 'cards', about: 'Network cards' },
    { name: 'hypervisor', value: (t) => t.hypervisor, about: 'nitro or xen (prefix delegation and IPv6 need Nitro)' },
    { name: 'bare_metal', value: (t) => t.bareMetal, about: 'A bare-metal size' },
    { name: 'trunking', value: (t) => t.trunking, about: 'Supports ENI trunking (needed by security groups for pods)' },
    { name: 'branch_enis', value: (t) => t.branchEnis, unit: 'ENIs', about: 'Branch ENIs: pods with their own security groups (VPC resource controller limits)' },
    { name: 'encryption_in_transit', value: (t) => t.encryptionInTransit, about: 'EC2 encrypts traffic between such instances in transit' },
    { name: 'network_bandwidth_mbps', value: (t) => t.networkBandwidthMbps, unit: 'Mbit/s', about: 'Baseline network bandwidth' },
    { name: 'region', value: (t) => t.price?.region ?? null, about: 'AWS region of the price' },
    { name: 'price_usd_per_hour', value: (t) => t.price?.usdPerHour ?? null, unit: 'USD/h', about: 'On-demand price of one instance (Linux, shared tenancy)' },
    ...MODES.map((m) => ({
      name: `max_pods_${snake(m)}`,
      value: (t: InstanceTypeView) => t.maxPods[camel(m)] ?? null,
      unit: 'pods',
      about: `Max pods per node in ${m} mode, by addresses: ${MODE_FORMULA[m]}`,
    })),
    ...MODES.map((m) => ({
      name: `recommended_max_pods_${snake(m)}`,
      value: (t: InstanceTypeView) => t.recommendedMaxPods[camel(m)] ?? null,
      unit: 'pods',
      about: `In ${m} mode: ${RECOMMENDED}`,
    })),
  ],
}

/** rankedBy and pricing are the plan's (PlanPricing): the same in every row, so a sheet of rows says them. */
export type PlanTableRow = CapacityRow & Partial<Omit<RowOverhead, 'formula'>> & { region: string; totalPods: number; rankedBy?: string; pricing?: string }

export const CAPACITY_PLAN_TABLE: TableSpec<PlanTableRow> = {
  file: 'capacity-plan',
  sheet: 'Capacity plan',
  about: [
    'cni-advisor: what a workload costs on each instance type: nodes, VPC IPv4 addresses and on-demand dollars.',
    'One row per instance type (and mode), cheapest first; types without a price in the region follow with empty costs.',
    'The formula column shows each row’s arithmetic with its numbers. A month is 730 hours.',
  ],
  columns: [
    { name: 'instance_type', value: (r) => r.instanceType, about: 'EC2 instance type' },
    { name: 'mode', value: (r) => r.mode, about: 'Pod networking mode' },
    { name: 'region', value: (r) => r.region, about: 'AWS region of the prices' },
    { name: 'total_pods', value: (r) => r.totalPods, unit: 'pods', about: 'Workload pods asked for (totalPods)' },
    {
      name: 'pods_per_node',
      value: (r) => r.podsPerNode,
      unit: 'pods',
      about: 'Workload pods per node: the least of the address, CPU, memory and kubelet limits (limited_by says which); host-network and DaemonSet pods not counted',
    },
    { name: 'limited_by', value: (r) => r.limitedBy, about: 'The limit that sets pods_per_node: ips, cpu, memory or kubelet' },
    { name: 'nodes', value: (r) => r.nodes, unit: 'nodes', about: '⌈total_pods ÷ pods_per_node⌉' },
    {
      name: 'vpc_ips',
      value: (r) => r.vpcIps,
      unit: 'addresses',
      about: 'VPC IPv4 addresses all the nodes hold, the VPC CNI warm pool included (WARM_ENI_TARGET 1 unless told), the pods spread evenly; the formula column shows the sum',
    },
    { name: 'usd_per_hour', value: (r) => r.usdPerHour, unit: 'USD/h', about: 'Price of one node in the region, of the asked capacityType (on-demand unless told)' },
    { name: 'monthly_usd', value: (r) => r.monthlyUsd, unit: 'USD/month', about: 'nodes × usd_per_hour × 730, rounded to cents' },
    { name: 'usd_per_pod_month', value: (r) => r.usdPerPodMonth, unit: 'USD/pod-month', about: 'monthly_usd ÷ total_pods, rounded to cents' },
    {
      name: 'allocatable_cpu_milli',
      value: (r) => r.allocatableCpuMilli,
      unit: 'millicores',
      about: 'CPU for pods: vCPUs × 1000 less kube-reserved (6 % of the first core, 1 % of the second, 0.5 % of cores 3-4, 0.25 % of the rest), as Karpenter computes it',
    },
    {
      name: 'allocatable_memory_mib',
      value: (r) => r.allocatableMemoryMiB,
      unit: 'MiB',
      about: 'Memory for pods: memory (less 64 MiB on arm64) less 7.5 % VM overhead, kube-reserved (11 × max pods + 255 MiB) and the 100 MiB eviction threshold, as Karpenter computes it',
    },
    { name: 'reason', value: (r) => r.reason, about: 'Why the type cannot serve the workload (its numbers are then empty)' },
    { name: 'notes', value: (r) => r.notes.join('; '), about: 'What to know about this row (a missing price, a cap that applies …)' },
    { name: 'formula', value: (r) => r.formula, about: 'This row’s arithmetic, with its numbers' },
    {
      name: 'ranked_by',
      value: (r) => r.rankedBy ?? null,
      about: 'How the rows are ordered: cost (priced rows by monthly cost, then unpriced ones by nodes), or nodes when no type has a price in the region',
    },
    {
      name: 'pricing',
      value: (r) => r.pricing ?? null,
      about: 'How many of the types that can serve have a price in the region (N of M types priced), where those prices come from and as of when, and how to get the missing ones (a catalog refresh)',
    },
    { name: 'ebs_monthly_usd', value: (r) => r.ebsMonthlyUsd ?? null, unit: 'USD/month', about: 'With ebsGiB: nodes × ebsGiB × the region’s gp3 price per GB-month (empty when not asked or not priced)' },
    { name: 'cluster_fee_monthly_usd', value: (r) => r.clusterFeeMonthlyUsd ?? null, unit: 'USD/month', about: 'With clusterFee: the EKS control-plane fee ($0.10 or $0.60 per cluster-hour) × 730 h' },
    { name: 'total_monthly_usd', value: (r) => r.totalMonthlyUsd ?? null, unit: 'USD/month', about: 'With ebsGiB or clusterFee: monthly_usd + ebs_monthly_usd + cluster_fee_monthly_usd' },
  ],
}

export type OptionTableRow = ScoredOption & { rank: number }

export const RECOMMENDATION_TABLE: TableSpec<OptionTableRow> = {
  file: 'recommendation',
  sheet: 'Recommendation',
  about: [
    'cni-advisor: every CNI option scored against the requirements, best first.',
    'A required need an option cannot meet blocks it (blockers); the other needs are weighted criteria (GET /v1/recommendations has each criterion’s weight, score and reason).',
  ],
  columns: [
    { name: 'rank', value: (o) => o.rank, about: '1 = the recommendation' },
    { name: 'id', value: (o) => o.id, about: 'The option, <plugin>-<variant>' },
    { name: 'plugin', value: (o) => o.plugin, about: 'The CNI plugin' },
    { name: 'variant', value: (o) => o.variant, about: 'How it is run' },
    { name: 'name', value: (o) => o.name, about: 'The option’s name' },
    { name: 'score', value: (o) => o.score, unit: 'of 100', about: 'Weighted sum of the criteria scores, 0 to 100' },
    { name: 'verdict', value: (o) => o.verdict, about: 'recommended, suitable or blocked' },
    { name: 'blockers', value: (o) => o.blockers.map((b) => `${b.criterion}: ${b.reason}`).join(' | '), about: 'The required needs the option cannot meet, and why' },
    { name: 'instance_type', value: (o) => o.density.instanceType, about: 'The instance type the density numbers are for (the first one asked)' },
    { name: 'mode', value: (o) => o.density.mode, about: 'The pod networking mode the option runs' },
    { name: 'max_pods_per_node', value: (o) => o.density.maxPodsPerNode, unit: 'pods', about: 'Max pods per node in that mode (the EKS guidance cap applied)' },
    { name: 'pods_for_workloads', value: (o) => o.density.podsForWorkloads, unit: 'pods', about: 'max_pods_per_node less the host-network and DaemonSet pods' },
    { name: 'vpc_ips_per_node', value: (o) => o.density.vpcIpsPerNode, unit: 'addresses', about: 'VPC IPv4 addresses a full node holds, warm pool included (1 for an overlay and IPv6: the node’s own)' },
    { name: 'caveats', value: (o) => o.caveats.join(' | '), about: 'What to know before running it' },
    { name: 'explanation', value: (o) => o.explanation, about: 'Why it ranks where it does' },
    { name: 'references', value: (o) => o.references.join(' '), about: 'Sources of the facts the score rests on' },
  ],
}
