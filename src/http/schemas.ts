// Response schemas: they document the answers in OpenAPI and let fastify serialise them fast.
// Shapes follow CONTRACT.md; fields may be added, never renamed or removed.
import { MODES } from '../domain/types.js'

const camel = (mode: string): string => mode.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())

const nullable = (type: string) => ({ type: [type, 'null'] })
const perMode = {
  type: 'object',
  properties: Object.fromEntries(
    MODES.map((m) => [camel(m), nullable('integer')]),
  ),
}

export const instanceTypeSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    family: { type: 'string' },
    vcpu: nullable('integer'),
    memoryMiB: nullable('integer'),
    arch: nullable('string'),
    maxEnis: { type: 'integer', description: 'ENIs on the default network card (what the VPC CNI uses)' },
    ipv4PerEni: { type: 'integer', description: 'IPv4 addresses per ENI, the primary included' },
    networkCards: { type: 'integer' },
    maxEnisAllCards: { type: 'integer' },
    ipv6Supported: { type: 'boolean' },
    hypervisor: nullable('string'),
    bareMetal: { type: 'boolean' },
    trunking: { type: 'boolean', description: 'Can run security groups for pods (trunk ENI)' },
    branchEnis: { type: 'integer', description: 'Pods with their own security groups per node' },
    encryptionInTransit: nullable('boolean'),
    networkPerformance: nullable('string'),
    networkBandwidthMbps: nullable('integer'),
    eksNode: { type: 'boolean', description: 'Can be an EKS node (false for EC2 Mac instances, which run macOS only)' },
    price: {
      type: ['object', 'null'],
      properties: {
        region: { type: 'string' },
        usdPerHour: { type: 'number' },
        source: { type: 'string' },
        asOf: { type: 'string' },
      },
    },
    maxPods: { ...perMode, description: 'Address-bound max pods per mode; null where the mode cannot run' },
    recommendedMaxPods: { ...perMode, description: 'After the EKS guidance cap (110 up to 30 vCPUs, 250 above)' },
  },
} as const

export const maxPodsSchema = {
  type: 'object',
  properties: {
    instanceType: { type: 'string' },
    mode: { type: 'string' },
    os: { type: 'string', enum: ['linux', 'windows'] },
    supported: { type: 'boolean' },
    reason: nullable('string'),
    maxPods: nullable('integer'),
    recommendedMaxPods: nullable('integer'),
    podsForWorkloads: nullable('integer'),
    hostNetworkPods: { type: 'integer' },
    cap: { type: ['object', 'null'], properties: { value: { type: 'integer' }, reason: { type: 'string' } } },
    formula: { type: 'string' },
    explanation: { type: 'string' },
    references: { type: 'array', items: { type: 'string' } },
  },
} as const
