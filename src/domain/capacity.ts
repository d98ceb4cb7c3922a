// Capacity plan: for each instance type, how many workload pods fit per node and what limits them,
// how many nodes, VPC addresses and dollars a workload takes. Pure: prices come in as a lookup.
import { hostNetworkPods, maxPods, podCounts, requireIntegerAtLeast } from './density.js'
import { compareTypeNames } from './type-names.js'
import { CAPACITY_TYPES, InputError, MODES, NODE_OS, type CapacityType, type InstanceType, type Mode, type NodeOs } from './types.js'
import { nodeVpcIpsFromSettings, readSettings, spreadPods, type Settings, type WarmPool } from './vpc-ips.js'

export const HOURS_PER_MONTH = 730
export const DEFAULT_POD_CPU_MILLI = 100
export const DEFAULT_POD_MEMORY_MIB = 128

/** Karpenter's default vmMemoryOverheadPercent: memory the hypervisor and firmware keep from the guest. */
export const VM_MEMORY_OVERHEAD = 0.075
/** Graviton (arm64) types keep 64 MiB more as CMA reserved memory (Karpenter subtracts it first). */
export const ARM64_CMA_RESERVED_MIB = 64
/** kubelet evictionHard memory.available default. */
export const EVICTION_THRESHOLD_MIB = 100

export interface CapacityInput extends WarmPool {
  totalPods: number
  mode: Mode
  /** CPU request of one workload pod, millicores; default 100. */
  podCpuMilli?: number
  /** Memory request of one workload pod, MiB; default 128. */
  podMemoryMiB?: number
  daemonSetsPerNode?: number
  maxPodsCap?: number | null
  /** The nodes' operating system; default linux (Windows: one ENI serves pods). */
  os?: NodeOs
  /** Workload pods each node must be able to run (podsPerNode): a type short of it cannot serve. */
  minPodsPerNode?: number | null
  /** Which price priceOf gives (on-demand, spot, reserved-1y): for the words only. Default on-demand. */
  capacityType?: CapacityType
}

export type LimitedBy = 'ips' | 'cpu' | 'memory' | 'kubelet'

export interface CapacityRow {
  instanceType: string
  mode: Mode
  /** null when the type can serve the workload; otherwise why not (the numbers below are then null). */
  reason: string | null
  /** Workload pods per node (host-network and DaemonSet pods not counted). */
  podsPerNode: number | null
  limitedBy: LimitedBy | null
  /** Each limit in workload pods per node; ips is null where the mode is not address-bound. */
  limits: { ips: number | null; cpu: number; memory: number; kubelet: number } | null
  allocatableCpuMilli: number | null
  allocatableMemoryMiB: number | null
  nodes: number | null
  /** VPC IPv4 addresses of all the nodes, warm pool included, the pods spread evenly. */
  vpcIps: number | null
  /** Per node, as priced (not rounded). */
  usdPerHour: number | null
  /** nodes × usdPerHour × 730, rounded to cents. */
  monthlyUsd: number | null
  /** monthlyUsd ÷ totalPods, rounded to cents. */
  usdPerPodMonth: number | null
  formula: string
  explanation: string
  notes: string[]
}

export interface CapacityPlan {
  input: Required<Omit<CapacityInput, keyof WarmPool | 'maxPodsCap' | 'minPodsPerNode'>> & { maxPodsCap: number | null; warmPool: WarmPool }
  rows: CapacityRow[]
}

/** How a plan's rows are ordered: by monthly cost, or (where no row has a price) by nodes. */
export type PlanRanking = 'cost' | 'nodes'

/**
 * The order of a plan's rows. By cost: rows with a price by exact cost (nodes × $/h), then rows without
 * one by nodes, then the rows that cannot serve. By nodes: every row that can serve by nodes, fewest
 * first (cost, where known, breaks ties), then those that cannot. Then the type's place in the catalog
 * (family, size) and the mode's. The keys are worked out once per row, not once per comparison.
 * `placeOf`, when given, is each type's place in compareTypeNames order (the catalog's list order, kept
 * per catalog version), compared instead of the names: a whole-catalog plan's rows that cannot serve
 * tie on every other key, and compareTypeNames (regular expressions on both names) took ~3 % of its CPU.
 */
export function rankCapacityRows(rows: readonly CapacityRow[], by: PlanRanking, placeOf?: (name: string) => number): CapacityRow[] {
  const n = rows.length
  const group = new Uint8Array(n)
  const cost = new Float64Array(n)
  const nodes = new Float64Array(n)
  const mode = new Uint8Array(n)
  const place = placeOf === undefined ? null : new Float64Array(n)
  const order = new Array<number>(n)
  for (let i = 0; i < n; i++) {
    const r = rows[i]!
    group[i] = r.reason !== null ? 2 : by === 'cost' && r.usdPerHour === null ? 1 : 0
    cost[i] = r.usdPerHour === null ? Infinity : (r.nodes ?? 0) * r.usdPerHour
    nodes[i] = r.nodes ?? Infinity
    mode[i] = MODES.indexOf(r.mode)
    if (place !== null) place[i] = placeOf!(r.instanceType)
    order[i] = i
  }
  order.sort((a, b) => {
    const g = group[a]! - group[b]!
    if (g !== 0) return g
    const primary = by === 'cost' && group[a] === 0 ? cost[a]! - cost[b]! || nodes[a]! - nodes[b]! : nodes[a]! - nodes[b]! || (cost[a] === cost[b] ? 0 : cost[a]! < cost[b]! ? -1 : 1)
    return primary || (place !== null ? place[a]! - place[b]! : compareTypeNames(rows[a]!.instanceType, rows[b]!.instanceType)) || mode[a]! - mode[b]!
  })
  const ranked = new Array<CapacityRow>(n)
  for (let i = 0; i < n; i++) ranked[i] = rows[order[i]!]!
  return ranked
}

/** kube-reserved CPU by range of millicores: [start, end, rate per ten thousand]. */
const KUBE_RESERVED_CPU: ReadonlyArray<readonly [start: number, end: number, perTenThousand: number]> = [
  [0, 1000, 600],
  [1000, 2000, 100],
  [2000, 4000, 50],
  [4000, Infinity, 25],
]

/**
 * CPU kube-reserved: 6 % of the first core, 1 % of the second, 0.5 % of cores 3-4, 0.25 % of the rest,
 * each range rounded down to whole millicores as Karpenter does (m5.large: 60 + 10 = 70m).
 */
export function kubeReservedCpuMilli(vcpu: number): number {
  const milli = vcpu * 1000
  let reserved = 0
  for (let i = 0; i < KUBE_RESERVED_CPU.length; i++) {
    const range = KUBE_RESERVED_CPU[i]! // (indexed: destructuring an array runs its iterator)
    if (milli > range[0]) reserved += Math.floor(((Math.min(milli, range[1]) - range[0]) * range[2]) / 10000)
  }
  return reserved
}

export function allocatableCpuMilli(vcpu: number): number {
  return vcpu * 1000 - kubeReservedCpuMilli(vcpu)
}

/**
 * Memory left to pods, as Karpenter computes it (AL2023 defaults): capacity (less 64 MiB CMA on arm64)
 * − VM overhead (7.5 %, rounded up to whole MiB) − kube-reserved (11 MiB × kubeletMaxPods + 255 MiB)
 * − eviction threshold (100 MiB). m5.large with 29 pods: 8192 − 615 − 574 − 100 = 6903 MiB.
 */
export function allocatableMemoryMiB(memoryMiB: number, arch: InstanceType['arch'], kubeletMaxPods: number): number {
  const capacity = memoryMiB - (arch === 'arm64' ? ARM64_CMA_RESERVED_MIB : 0)
  const vmOverhead = Math.ceil(capacity * VM_MEMORY_OVERHEAD)
  return capacity - vmOverhead - (11 * kubeletMaxPods + 255) - EVICTION_THRESHOLD_MIB
}

/**
 * The pod count kube-reserved memory (11 MiB × pods + 255 MiB) is computed for: the kubelet max pods the
 * node is configured with, which is recommendedMaxPods (the value this service tells you to set). This is
 * what Karpenter reserves when maxPods is set on Bottlerocket and Windows nodes
 * (aws/karpenter-provider-aws pkg/providers/instancetype/types.go, kubeReservedResources); for AL2 and
 * AL2023 Karpenter reserves for the ENI-limited count instead (amifamily FeatureFlags
 * UsesENILimitedMemoryOverhead), which only differs where the cap binds (c5.18xlarge: 737 vs 250 pods).
 */
export function kubeReservedPods(result: { recommendedMaxPods: number | null }): number {
  return result.recommendedMaxPods ?? 0
}

const roundCents = (usd: number): number => Math.round((usd + Number.EPSILON) * 100) / 100
const money = (usd: number): string => `$${usd.toFixed(2)}`

function blocked(it: InstanceType, mode: Mode, reason: string, notes: string[] = []): CapacityRow {
  return {
    instanceType: it.name,
    mode,
    reason,
    podsPerNode: null,
    limitedBy: null,
    limits: null,
    allocatableCpuMilli: null,
    allocatableMemoryMiB: null,
    nodes: null,
    vpcIps: null,
    usdPerHour: null,
    monthlyUsd: null,
    usdPerPodMonth: null,
    formula: '',
    explanation: `${it.name} cannot serve this workload in ${mode}: ${reason}`,
    notes,
  }
}

/** A plan's question, checked once: what every row is worked out from. */
interface PlanQuestion {
  totalPods: number
  mode: Mode
  podCpuMilli: number
  podMemoryMiB: number
  daemonSetsPerNode: number
  maxPodsCap: number | null
  os: NodeOs
  /** Host-network pods per node (hostNetworkPods). */
  host: number
  minPods: number | null
  capacityType: CapacityType
  /** The warm pool's settings, read once; each row works on a copy with its own maxPods (and, per node group, sgPods). */
  settings: Settings
  priceOf: (name: string) => number | null
}

export function capacityPlan(
  input: CapacityInput,
  instanceTypes: readonly InstanceType[],
  priceOf: (name: string) => number | null,
  placeOf?: (name: string) => number,
): CapacityPlan {
  const totalPods = requireIntegerAtLeast('totalPods', input.totalPods, 1)
  const podCpuMilli = input.podCpuMilli === undefined ? DEFAULT_POD_CPU_MILLI : requireIntegerAtLeast('podCpuMilli', input.podCpuMilli, 1)
  const podMemoryMiB = input.podMemoryMiB === undefined ? DEFAULT_POD_MEMORY_MIB : requireIntegerAtLeast('podMemoryMiB', input.podMemoryMiB, 1)
  const daemonSetsPerNode = input.daemonSetsPerNode === undefined ? 0 : requireIntegerAtLeast('daemonSetsPerNode', input.daemonSetsPerNode, 0)
  const maxPodsCap = input.maxPodsCap === undefined || input.maxPodsCap === null ? null : requireIntegerAtLeast('maxPodsCap', input.maxPodsCap, 1)
  if (!(MODES as readonly string[]).includes(input.mode)) throw new InputError('mode', `mode must be one of ${MODES.join(', ')}; got ${JSON.stringify(input.mode)}`)
  const os: NodeOs = input.os ?? 'linux'
  if (!(NODE_OS as readonly string[]).includes(os)) throw new InputError('os', `os must be one of ${NODE_OS.join(', ')}; got ${JSON.stringify(input.os)}`)
  const host = hostNetworkPods(os)
  if (instanceTypes.length === 0) throw new InputError('instanceTypes', 'instanceTypes must name at least one instance type')
  const minPods = input.minPodsPerNode === undefined || input.minPodsPerNode === null ? null : requireIntegerAtLeast('podsPerNode', input.minPodsPerNode, 1)
  const warmPool: WarmPool = {}
  for (const key of ['warmEniTarget', 'warmIpTarget', 'minimumIpTarget', 'warmPrefixTarget'] as const) {
    if (input[key] !== undefined) warmPool[key] = input[key]
  }
  const settings = readSettings(warmPool)
  const mode = input.mode
  const capacityType: CapacityType = input.capacityType ?? 'on-demand'
  if (!(CAPACITY_TYPES as readonly string[]).includes(capacityType)) {
    throw new InputError('capacityType', `capacityType must be one of ${CAPACITY_TYPES.join(', ')}; got ${JSON.stringify(input.capacityType)}`)
  }

  const q: PlanQuestion = { totalPods, mode, podCpuMilli, podMemoryMiB, daemonSetsPerNode, maxPodsCap, os, host, minPods, capacityType, settings, priceOf }
  const rows = new Array<CapacityRow>(instanceTypes.length)
  for (let i = 0; i < instanceTypes.length; i++) rows[i] = planRow(q, instanceTypes[i]!)
  return { input: { totalPods, mode, podCpuMilli, podMemoryMiB, daemonSetsPerNode, maxPodsCap, os, capacityType, warmPool }, rows: rankCapacityRows(rows, 'cost', placeOf) }
}

/**
 * One type's row. A whole-catalog plan has ~1,000 of them and every one lives until the answer is
 * written, so a row builds its words once, where they are shown (a node's VPC working only inside the
 * row's formula, never on its own), and keeps no working objects.
 */
function planRow(q: PlanQuestion, it: InstanceType): CapacityRow {
  const { mode, os, totalPods, daemonSetsPerNode } = q
  // The numbers only: maxPods' words are worked out just for a type that cannot run the mode (its reason).
  const density = podCounts(it, mode, daemonSetsPerNode, q.maxPodsCap, os)
  if (density === null) return blocked(it, mode, maxPods(it, mode, { os }).reason ?? 'not supported')
  if (it.vcpu === null || it.memoryMiB === null) {
    return blocked(it, mode, `no vCPU or memory figures for ${it.name} in the catalog, so CPU and memory limits cannot be worked out`)
  }
  const cpuMilli = allocatableCpuMilli(it.vcpu)
  const reservedFor = kubeReservedPods(density)
  const memMiB = allocatableMemoryMiB(it.memoryMiB, it.arch, reservedFor)
  // Pod slots less the host-network and DaemonSet pods: what is left for workload pods.
  const notForWorkloads = q.host + daemonSetsPerNode
  let ips: number | null = null
  if (mode === 'security-groups-for-pods') {
    // The trunk ENI takes an ENI slot: (E − 1)(I − 1) ordinary addresses plus one branch ENI per SG pod.
    ips = Math.max(0, Math.min(density.maxPods, (it.maxEnis - 1) * (it.ipv4PerEni - 1) + it.branchEnis + q.host) - notForWorkloads)
  } else if (mode !== 'overlay') {
    // IPv6 pods are bound by ENI slots too (the prefix arithmetic), though not by IPv4 addresses.
    ips = Math.max(0, density.maxPods - notForWorkloads)
  }
  const cpu = Math.max(0, Math.floor(cpuMilli / q.podCpuMilli))
  const memory = Math.max(0, Math.floor(memMiB / q.podMemoryMiB))
  // The kubelet limit is the cap itself (EKS guidance or maxPodsCap), not min(addresses, cap), so that an
  // address limit below the cap reads 'ips'; where pods are not address-bound it is the kubelet's max pods.
  const kubelet = Math.max(0, (ips === null ? density.recommendedMaxPods : density.cap) - notForWorkloads)
  const limits = { ips, cpu, memory, kubelet }
  // When two limits are equal the first in this order is named: the kubelet cap before the address limit
  // (raising addresses would not help), then addresses, then CPU, then memory.
  let limitedBy: LimitedBy = 'kubelet'
  let podsPerNode = kubelet
  if (ips !== null && ips < podsPerNode) {
    podsPerNode = ips
    limitedBy = 'ips'
  }
  if (cpu < podsPerNode) {
    podsPerNode = cpu
    limitedBy = 'cpu'
  }
  if (memory < podsPerNode) {
    podsPerNode = memory
    limitedBy = 'memory'
  }
  const limitText =
    `min(kubelet ${kubelet}, ips ${ips ?? '—'}, cpu ${cpu}, memory ${memory} ` +
    `[${memMiB} MiB allocatable, kube-reserved 11 × ${reservedFor} + 255 MiB for the ${reservedFor} pods the kubelet is configured with]) = ${podsPerNode} (${limitedBy})`
  if (podsPerNode === 0) {
    return { ...blocked(it, mode, `no workload pod fits on a node: ${limitText}`), limits, limitedBy, podsPerNode: 0, allocatableCpuMilli: cpuMilli, allocatableMemoryMiB: memMiB }
  }
  if (q.minPods !== null && podsPerNode < q.minPods) {
    return {
      ...blocked(it, mode, `a node fits ${podsPerNode} workload pods (limited by ${limitedBy}), short of the ${q.minPods} per node asked (podsPerNode): ${limitText}`),
      limits,
      limitedBy,
      podsPerNode,
      allocatableCpuMilli: cpuMilli,
      allocatableMemoryMiB: memMiB,
    }
  }
  const nodes = Math.ceil(totalPods / podsPerNode)
  // Pods needing a VPC address per node: its share of the workload plus the non-host-network DaemonSet
  // pods, spread evenly (spreadPods: at most two groups of equal nodes), each group's node worked out on
  // the settings read once for the plan (nodeVpcIpsFromSettings, clusterVpcIps' arithmetic).
  const groups = spreadPods(totalPods, nodes, daemonSetsPerNode)
  // ipamd stops the warm pool at the kubelet max pods the node runs with.
  const s: Settings = { ...q.settings, maxPods: density.recommendedMaxPods }
  // Under security groups for pods, the pods the ordinary pool cannot hold are taken to be SG pods.
  const sgp = mode === 'security-groups-for-pods'
  const poolCapacity = (it.maxEnis - 1) * (it.ipv4PerEni - 1)
  let vpc = 0
  let sum = ''
  let working = ''
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!
    s.sgPods = sgp ? Math.max(0, g.pods - poolCapacity) : 0
    const node = nodeVpcIpsFromSettings(it, mode, g.pods, s, os, true)
    vpc += g.nodes * node.total
    // How vpcIps is made up: nodes × addresses per node for each group, each with its per-node working.
    sum += `${i ? ' + ' : ''}${g.nodes} × ${node.total}`
    working += `${i ? '; ' : ''}a node with ${g.pods} address-taking pod${g.pods === 1 ? '' : 's'}: ${node.formula}`
  }
  const vpcText = `VPC IPv4 addresses = ${sum} = ${vpc} (${working})`
  const notes: string[] = []
  if (sgp && groups[0]!.pods > poolCapacity) {
    notes.push(`beyond ${poolCapacity} pods per node the rest must be pods with their own security groups (branch ENIs), as the trunk ENI takes an ENI slot`)
  }
  const price = q.priceOf(it.name)
  let usdPerHour: number | null = null
  let monthlyUsd: number | null = null
  let usdPerPodMonth: number | null = null
  let costText = 'no price for this type in the region'
  if (price === null) {
    notes.push(`no ${q.capacityType} price in the catalog for this type and region: cost left empty`)
  } else {
    usdPerHour = price
    const monthly = nodes * price * HOURS_PER_MONTH
    monthlyUsd = roundCents(monthly)
    usdPerPodMonth = roundCents(monthly / totalPods)
    costText = `${nodes} × $${price}/h${q.capacityType === 'on-demand' ? '' : ` (${q.capacityType})`} × ${HOURS_PER_MONTH} h = ${money(monthly)}/month; ÷ ${totalPods} pods = ${money(monthly / totalPods)}/pod-month`
  }
  const formula = flat(`pods/node = ${limitText}; nodes = ⌈${totalPods} ÷ ${podsPerNode}⌉ = ${nodes}; ${costText}; ${vpcText}`)
  const explanation = flat(
    `${it.name} in ${mode}${os === 'windows' ? ' (Windows)' : ''}: allocatable ${cpuMilli}m CPU and ${memMiB} MiB (kube-reserved 11 × ${reservedFor} + 255 MiB for the ${reservedFor} pods the kubelet is configured with) fit ` +
      `${cpu} pods of ${q.podCpuMilli}m and ${memory} of ${q.podMemoryMiB} MiB; ` +
      (ips === null ? 'addresses do not bound pods in this mode; ' : `addresses allow ${ips} workload pods; `) +
      `the kubelet cap allows ${kubelet}. So ${podsPerNode} per node (${limitedBy}), ${nodes} nodes, ${vpc} VPC IPv4 addresses with the warm pool.`,
  )
  return {
    instanceType: it.name,
    mode,
    reason: null,
    podsPerNode,
    limitedBy,
    limits,
    allocatableCpuMilli: cpuMilli,
    allocatableMemoryMiB: memMiB,
    nodes,
    vpcIps: vpc,
    usdPerHour,
    monthlyUsd,
    usdPerPodMonth,
    formula,
    explanation,
    notes,
  }
}


/**
 * The text, flattened into one string where it is made. A template literal makes a V8 cons string per
 * piece joined, a tree of ~100 small strings per row that lives until the answer is written (copied by
 * every scavenge on the way) and that JSON.stringify then flattens; flattened at once, the pieces die
 * young. charCodeAt flattens a cons string (V8's StringCharCodeAt does, to read it); Number() does not.
 * Measured in process, whole-catalog plans then jsonBytes in alternating rounds: ~15 % less CPU than
 * leaving the trees to JSON.stringify (joining pieces with Array.prototype.join did as well for a whole
 * catalog, but cost a family's plan ~5 %).
 */
function flat(text: string): string {
  text.charCodeAt(0)
  return text
}
