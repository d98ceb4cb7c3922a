// Every field table of the service, in one module: the requirement names of CONTRACT.md "Requirements"
// and the fields of every other question. REST (body and query), GraphQL and Slack (`key=value`) all
// parse with these, so a bad value gets the same message from every door.
import { parseFields, toJsonSchema, type FieldTable, type ParseOptions } from '../domain/fields.js'
import { ARCHES } from '../domain/type-filters.js'
import { CLUSTER_FEES } from '../domain/node-costs.js'
import { CAPACITY_TYPES, LEVELS, MODES, NODE_OS, PERFORMANCE, type Requirements } from '../domain/types.js'

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

/** Windows nodes give pods one ENI (EKS windows-support); the default is Linux. */
const os = { type: 'enum', values: NODE_OS, default: 'linux', description: 'Operating system of the nodes: linux, or windows (one ENI serves pods)' } as const

const region = {
  type: 'string',
  pattern: REGION_PATTERN,
  allowed: 'an AWS region code like us-east-1',
  maxLength: 32,
  default: 'us-east-1',
  description: 'AWS region whose prices to use',
} as const

/** Which price the cost columns use (issue 20); every answer says its source and date. */
const capacityType = {
  type: 'enum',
  values: CAPACITY_TYPES,
  default: 'on-demand',
  description:
    'Which price: on-demand (default), spot (the median over the region\'s AZs of the latest Linux/UNIX spot price) or reserved-1y ' +
    '(the 1-year standard no-upfront Reserved Instance rate); the answer says where its prices come from and how old they are',
} as const

/** Node overhead as Kubecost counts it, each its own column beside the node cost (src/domain/node-costs.ts). */
const OVERHEAD_FIELDS = {
  ebsGiB: {
    type: 'integer',
    min: 1,
    max: 16_384,
    description: 'EBS gp3 GiB per node (root and data volumes), priced at the region\'s gp3 rate per GB-month in its own column (ebsMonthlyUsd); at most 16 TiB, the largest gp3 volume',
  },
  clusterFee: {
    type: 'enum',
    values: CLUSTER_FEES,
    description: 'The EKS control-plane fee in its own column (clusterFeeMonthlyUsd): standard ($0.10 per cluster-hour), extended (Kubernetes versions in extended support, $0.60) or none',
  },
} as const satisfies FieldTable

export const MAX_PODS_FIELDS = {
  mode: { type: 'enum', values: MODES, default: 'secondary-ip', description: 'Pod networking mode' },
  daemonSetsPerNode: {
    type: 'integer',
    min: 0,
    max: 500,
    default: 0,
    description: 'Non-host-network DaemonSet pods every node runs (subtracted from podsForWorkloads)',
  },
  maxPodsCap: { type: 'integer', min: 1, max: 100_000, description: 'A lower kubelet --max-pods you set yourself' },
  os,
} as const satisfies FieldTable

/**
 * Filters on instance types, as Karpenter's NodePool requirements on its well-known labels
 * (https://karpenter.sh/docs/concepts/scheduling/#well-known-labels); category and generation are read
 * from the name as Karpenter does (src/domain/type-names.ts). Lists, plans and charts take the same ones.
 */
export const TYPE_FILTER_FIELDS = {
  arch: {
    type: 'enum',
    values: ARCHES,
    description: 'CPU architecture (kubernetes.io/arch): amd64, arm64 (Graviton), or any. A plan over the whole catalog assumes amd64 unless told',
  },
  category: {
    type: 'list',
    item: /^[a-z]{1,8}$/,
    allowed: 'a category: the leading letters of a type name (c, m, r, t, g, inf …)',
    maxItems: 30,
    description: 'Any of these categories, as karpenter.k8s.aws/instance-category: the leading letters of the name (m7i.large → m, inf2.xlarge → inf)',
  },
  generation: {
    type: 'integer',
    min: 1,
    max: 99,
    description: 'At least this generation, as karpenter.k8s.aws/instance-generation: the digits after the category (m7i.large → 7); 7 = Karpenter\'s Gt 6',
  },
  burstable: { type: 'boolean', description: 'false leaves out the burstable T types (t3, t4g …); true keeps only them' },
  minVcpu: { type: 'integer', min: 1, max: 4096, description: 'At least this many vCPUs (karpenter.k8s.aws/instance-cpu)' },
  minMemoryMiB: { type: 'integer', min: 1, max: 67_108_864, description: 'At least this much memory, MiB (karpenter.k8s.aws/instance-memory)' },
  bareMetal: { type: 'boolean', description: 'true keeps only bare-metal sizes (metal, metal-24xl …), false leaves them out' },
} as const satisfies FieldTable

const family = (what: string) =>
  ({
    type: 'string',
    pattern: /^[a-z][a-z0-9-]*$/,
    allowed: 'an instance family like m5 or c7g',
    maxLength: 32,
    description: `${what}; an unknown family is a 404 naming the nearest ones`,
  }) as const

export const INSTANCE_TYPES_FIELDS = {
  family: family('Only types of this family'),
  ...TYPE_FILTER_FIELDS,
  region,
  capacityType,
} as const satisfies FieldTable

/** A page of GET /v1/instance-types (JSON only: CSV always has the whole list). */
export const PAGE_FIELDS = {
  limit: { type: 'integer', min: 1, max: 500, default: 100, description: 'Items per page (JSON; CSV always has the whole list)' },
  cursor: {
    type: 'string',
    pattern: /^[A-Za-z0-9_-]+$/,
    allowed: 'the nextCursor of the previous page',
    maxLength: 200,
    description: 'Where the page starts: the nextCursor of the previous page',
  },
} as const satisfies FieldTable

export const INSTANCE_TYPES_PAGE_FIELDS = { ...INSTANCE_TYPES_FIELDS, ...PAGE_FIELDS } as const satisfies FieldTable

export const INSTANCE_TYPE_FIELDS = { region, capacityType } as const satisfies FieldTable

const warm = (name: string, what: string) =>
  ({ type: 'integer', min: 0, max: 10_000, description: `${name}: ${what}` }) as const

export const CAPACITY_FIELDS = {
  totalPods: { type: 'integer', min: 1, max: 10_000_000, description: 'Workload pods in the cluster (required)' },
  podCpu: {
    type: 'number',
    min: 0.001,
    max: 512,
    default: 0.1,
    description: 'CPU request of one workload pod in vCPUs (0.25 = 250m)',
  },
  podMemoryMiB: { type: 'integer', min: 1, max: 4_194_304, default: 128, description: 'Memory request of one workload pod, MiB' },
  // No default here: a plan tells an asked mode from `modes` (the mode is secondary-ip when neither is given).
  mode: { type: 'enum', values: MODES, description: 'Pod networking mode (default secondary-ip); `modes` compares several' },
  modes: {
    type: 'list',
    item: new RegExp(`^(${MODES.join('|')})$`),
    allowed: `a mode (${MODES.join(', ')})`,
    maxItems: MODES.length,
    description: 'Modes to compare side by side in one plan: one row per instance type and mode (instead of `mode`)',
  },
  podsPerNode: {
    type: 'integer',
    min: 1,
    max: 100_000,
    description: 'Workload pods each node must be able to run: types that cannot reach it are left out, with the reason',
  },
  region,
  capacityType,
  ...OVERHEAD_FIELDS,
  instanceTypes: {
    type: 'list',
    item: INSTANCE_TYPE_PATTERN,
    allowed: 'an EC2 instance type name like m5.large',
    maxItems: 2000,
    description: 'Candidate instance types; absent = every type of `family`, or the whole catalog (amd64 only unless `arch` says otherwise); the filters apply to either',
  },
  family: family('Only candidate types of this family'),
  ...TYPE_FILTER_FIELDS,
  daemonSetsPerNode: { type: 'integer', min: 0, max: 500, default: 0, description: 'Non-host-network DaemonSet pods every node runs' },
  maxPodsCap: { type: 'integer', min: 1, max: 100_000, description: 'A lower kubelet --max-pods you set yourself' },
  os,
  warmEniTarget: warm('WARM_ENI_TARGET', 'whole free ENIs kept attached (VPC CNI default 1)'),
  warmIpTarget: warm('WARM_IP_TARGET', 'free addresses kept (replaces WARM_ENI_TARGET)'),
  minimumIpTarget: warm('MINIMUM_IP_TARGET', 'floor on addresses a node holds'),
  warmPrefixTarget: warm('WARM_PREFIX_TARGET', 'free /28 prefixes kept under prefix delegation (chart default 1)'),
  limit: { type: 'integer', min: 1, max: 5000, description: 'Return only the first N rows (in the plan\'s order: cheapest first)' },
} as const satisfies FieldTable

/** The door's own parameters on every route that can answer in a table (src/http/csv.ts reads them). */
export const TABLE_FIELDS = {
  format: {
    type: 'enum',
    values: ['json', 'csv', 'xlsx'],
    description: 'json (the default), csv for spreadsheets (or Accept: text/csv), xlsx for a workbook: typed cells, units in the header, a sheet that explains the columns',
  },
  bom: {
    type: 'boolean',
    default: false,
    description: 'CSV only: 1 puts a UTF-8 byte-order mark first, so desktop Excel opens a double-clicked file as UTF-8 (IMPORTDATA and Power Query need none)',
  },
} as const satisfies FieldTable

/** Their names, for the field tables to let through (src/http/input.ts parseQuery). */
export const TABLE_PARAMS: readonly string[] = Object.keys(TABLE_FIELDS)

/** TABLE_FIELDS as OpenAPI query parameters, added to each table route's own. */
export const FORMAT_FIELD = (toJsonSchema(TABLE_FIELDS, { textual: true }) as { properties: Record<string, object> }).properties

// The charts' questions (src/http/routes/charts.ts draws them).
// Query words (textual enums are read in lower case) for the MaxPods fields of the same meaning.
const MEASURES = ['recommended-max-pods', 'pods-for-workloads', 'max-pods'] as const
export type Measure = (typeof MEASURES)[number]


const width = {
  type: 'integer',
  min: 320,
  max: 1600,
  default: 720,
  description: 'Drawing width in pixels (the height follows from the data); the page asks for its own column width',
} as const

export const POD_CHART_FIELDS = {
  instanceTypes: {
    type: 'list',
    item: INSTANCE_TYPE_PATTERN,
    allowed: 'an EC2 instance type name like m5.large',
    // More groups of six bars than this is no longer a chart anyone reads.
    maxItems: 12,
    default: ['m5.large'],
    description: 'Instance types to compare (comma-separated, at most 12)',
  },
  modes: {
    type: 'list',
    item: new RegExp(`^(${MODES.join('|')})$`),
    allowed: `a mode (${MODES.join(', ')})`,
    maxItems: MODES.length,
    default: MODES,
    description: 'Modes to draw, one bar each (default: all)',
  },
  measure: {
    type: 'enum',
    values: MEASURES,
    default: 'recommended-max-pods',
    description: 'Which number of GET /v1/instance-types/{name}/max-pods to draw: recommended-max-pods (what kubelet --max-pods gets), pods-for-workloads or max-pods (addresses only)',
  },
  daemonSetsPerNode: MAX_PODS_FIELDS.daemonSetsPerNode,
  maxPodsCap: MAX_PODS_FIELDS.maxPodsCap,
  width,
} as const satisfies FieldTable

export const COST_CHART_FIELDS = {
  ...CAPACITY_FIELDS,
  limit: { type: 'integer', min: 1, max: 40, default: 10, description: 'Bars: the N cheapest instance types (at most 40)' },
  width,
} as const satisfies FieldTable
