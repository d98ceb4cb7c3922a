// Field tables for the questions other than "which CNI" (that one is domain/requirements.ts).
// Every door parses with these, so a bad value gets the same message from REST, GraphQL and Slack.
import type { FieldTable } from '../domain/fields.js'
import { INSTANCE_TYPE_PATTERN, REGION_PATTERN } from '../domain/requirements.js'
import { MODES, NODE_OS } from '../domain/types.js'

/** Windows nodes give pods one ENI (EKS windows-support); the default is Linux. */
const os = { type: 'enum', values: NODE_OS, default: 'linux', description: 'Operating system of the nodes: linux, or windows (one ENI serves pods)' } as const

const region = {
  type: 'string',
  pattern: REGION_PATTERN,
  allowed: 'an AWS region code like us-east-1',
  maxLength: 32,
  default: 'us-east-1',
  description: 'AWS region whose on-demand prices to use',
} as const

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

export const INSTANCE_TYPES_FIELDS = {
  family: {
    type: 'string',
    pattern: /^[a-z][a-z0-9-]*$/,
    allowed: 'an instance family like m5 or c7g',
    maxLength: 32,
    description: 'Only types of this family',
  },
  region,
} as const satisfies FieldTable

export const INSTANCE_TYPE_FIELDS = { region } as const satisfies FieldTable

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
  mode: { type: 'enum', values: MODES, default: 'secondary-ip', description: 'Pod networking mode' },
  region,
  instanceTypes: {
    type: 'list',
    item: INSTANCE_TYPE_PATTERN,
    allowed: 'an EC2 instance type name like m5.large',
    maxItems: 2000,
    description: 'Candidate instance types; absent = every type (or every type of `family`)',
  },
  family: {
    type: 'string',
    pattern: /^[a-z][a-z0-9-]*$/,
    allowed: 'an instance family like m5 or c7g',
    maxLength: 32,
    description: 'Only candidate types of this family',
  },
  daemonSetsPerNode: { type: 'integer', min: 0, max: 500, default: 0, description: 'Non-host-network DaemonSet pods every node runs' },
  maxPodsCap: { type: 'integer', min: 1, max: 100_000, description: 'A lower kubelet --max-pods you set yourself' },
  os,
  warmEniTarget: warm('WARM_ENI_TARGET', 'whole free ENIs kept attached (VPC CNI default 1)'),
  warmIpTarget: warm('WARM_IP_TARGET', 'free addresses kept (replaces WARM_ENI_TARGET)'),
  minimumIpTarget: warm('MINIMUM_IP_TARGET', 'floor on addresses a node holds'),
  warmPrefixTarget: warm('WARM_PREFIX_TARGET', 'free /28 prefixes kept under prefix delegation (chart default 1)'),
  limit: { type: 'integer', min: 1, max: 5000, description: 'Return only the first N rows (cheapest first)' },
} as const satisfies FieldTable

/** Accepted by every GET route that can answer in CSV; handled by the door, not the field tables. */
export const FORMAT_FIELD = { format: { type: 'string', enum: ['json', 'csv'], description: 'csv for spreadsheets (or Accept: text/csv)' } }

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
