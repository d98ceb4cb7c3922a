// Pods per node for each pod-networking mode: the address limit, the EKS cap, and what is left for
// workloads. Pure: no I/O. Facts and formulas: ../shared/DOMAIN.md and domain/aws-limits.md §1-§4.
import { InputError, MODES, type InstanceType, type Mode } from './types.js'

export interface MaxPodsOptions {
  /** Pods every node runs that are not host-network (they take a pod slot and, on VPC modes, an address). */
  daemonSetsPerNode?: number
  /** A lower kubelet --max-pods the team wants (integer ≥ 1); null or absent = none. */
  maxPodsCap?: number | null
}

export interface MaxPodsResult {
  instanceType: string
  mode: Mode
  supported: boolean
  /** Why the mode cannot run on this type; set only when !supported (the numbers are then null). */
  reason: string | null
  /** Address limit (for ipv6/overlay: the kubelet limit, as they are not address-bound), uncapped. */
  maxPods: number | null
  /** maxPods after the EKS guidance cap and maxPodsCap: what to give kubelet --max-pods. */
  recommendedMaxPods: number | null
  /** recommendedMaxPods − hostNetworkPods − daemonSetsPerNode, never below 0. */
  podsForWorkloads: number | null
  hostNetworkPods: number
  /** The cap in force (the lower of the EKS guidance cap and maxPodsCap); null when unsupported. */
  cap: { value: number; reason: string } | null
  formula: string
  explanation: string
  references: string[]
}

/** The kubelet's own --max-pods default. */
export const KUBELET_DEFAULT_MAX_PODS = 110
/** aws-node (the CNI) and kube-proxy, or on an overlay the CNI agent and kube-proxy: host-network pods. */
export const HOST_NETWORK_PODS = 2
/** A /28 prefix holds 16 IPv4 addresses. */
export const ADDRESSES_PER_PREFIX = 16

const REF = {
  maxPodsFile: 'https://github.com/aws/amazon-vpc-cni-k8s/blob/master/misc/eni-max-pods.txt',
  eksMaxPods: 'https://docs.aws.amazon.com/eks/latest/userguide/choosing-instance-type.html',
  prefixDelegation: 'https://docs.aws.amazon.com/eks/latest/userguide/cni-increase-ip-addresses.html',
  prefixTargets: 'https://github.com/aws/amazon-vpc-cni-k8s/blob/master/docs/prefix-and-ip-target.md',
  customNetworking: 'https://docs.aws.amazon.com/eks/latest/userguide/cni-custom-network.html',
  ipv6: 'https://docs.aws.amazon.com/eks/latest/userguide/cni-ipv6.html',
  sgForPods: 'https://docs.aws.amazon.com/eks/latest/userguide/security-groups-for-pods.html',
  branchLimits: 'https://github.com/aws/amazon-vpc-resource-controller-k8s/blob/master/pkg/aws/vpc/limits.go',
  kubelet: 'https://kubernetes.io/docs/reference/command-line-tools-reference/kubelet/',
  alternateCni: 'https://docs.aws.amazon.com/eks/latest/userguide/alternate-cni-plugins.html',
} as const

/**
 * Throws InputError unless value is an integer ≥ min. Shared by the domain modules so every bad number
 * gets the same kind of message: field, what was given, what is allowed.
 */
export function requireIntegerAtLeast(field: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InputError(field, `${field} must be an integer ≥ ${min}; got ${describe(value)}`)
  }
  return value
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value)
  return typeof value
}

/**
 * EKS guidance for kubelet --max-pods (the AL2 max-pods calculator): 110 up to 30 vCPUs, 250 above.
 * An unknown vCPU count gets 110, the cap that is safe for any size.
 */
export function eksCapValue(vcpu: number | null): number {
  return vcpu !== null && vcpu > 30 ? 250 : 110
}

/** eksCapValue with the words that say why. */
export function eksCap(vcpu: number | null): { value: number; reason: string } {
  const value = eksCapValue(vcpu)
  if (vcpu === null) return { value, reason: 'vCPU count unknown, so the smaller EKS cap applies: 110 (250 needs more than 30 vCPUs)' }
  return { value, reason: `EKS guidance caps max pods at ${value} ${value === 250 ? 'above' : 'up to'} 30 vCPUs (this type: ${vcpu})` }
}

/**
 * Nitro, or bare metal. Bare-metal types report no hypervisor, yet they are Nitro systems and the VPC CNI
 * supports prefix delegation on them since v1.11 (the old AL2 calculator treated them as non-Nitro).
 */
export function isNitroOrBareMetal(it: InstanceType): boolean {
  return it.hypervisor === 'nitro' || it.bareMetal
}

function validateOptions(opts: MaxPodsOptions): { daemonSets: number; userCap: number | null } {
  const daemonSets = opts.daemonSetsPerNode === undefined ? 0 : requireIntegerAtLeast('daemonSetsPerNode', opts.daemonSetsPerNode, 0)
  const userCap = opts.maxPodsCap === undefined || opts.maxPodsCap === null ? null : requireIntegerAtLeast('maxPodsCap', opts.maxPodsCap, 1)
  return { daemonSets, userCap }
}

/**
 * The address limit of a mode on a type, in pods per node (for ipv6 and overlay, which are not
 * address-bound, the kubelet limit); null when the mode cannot run on the type (addressLimit says why).
 * E ENIs with I IPv4 addresses each, the primary of every ENI not given to pods, plus 2 host-network pods.
 */
export function addressMaxPods(it: InstanceType, mode: Mode, eksCap: number): number | null {
  const E = it.maxEnis
  const I = it.ipv4PerEni
  switch (mode) {
    case 'secondary-ip':
      return E * (I - 1) + HOST_NETWORK_PODS
    case 'prefix-delegation':
      return isNitroOrBareMetal(it) ? E * (I - 1) * ADDRESSES_PER_PREFIX + HOST_NETWORK_PODS : null
    case 'custom-networking':
      return E >= 2 ? (E - 1) * (I - 1) + HOST_NETWORK_PODS : null
    case 'ipv6':
      return isNitroOrBareMetal(it) ? eksCap : null
    case 'security-groups-for-pods':
      return it.trunking ? E * (I - 1) + HOST_NETWORK_PODS : null
    case 'overlay':
      return KUBELET_DEFAULT_MAX_PODS
  }
}

/** What maxPods works out, numbers only: for callers that need them for many types at once (capacity plans). */
export interface PodCounts {
  mode: Mode
  /** The address limit (addressMaxPods). */
  maxPods: number
  /** The cap in force: the EKS guidance cap, or maxPodsCap where that is lower. */
  cap: number
  /** Whether the cap in force is maxPodsCap rather than the EKS guidance cap. */
  userCapped: boolean
  recommendedMaxPods: number
  podsForWorkloads: number
}

/**
 * The numbers of maxPods without its words; null when the mode cannot run on the type. Options are taken
 * as checked (maxPods checks them): daemonSets an integer ≥ 0, userCap null or an integer ≥ 1.
 */
export function podCounts(it: InstanceType, mode: Mode, daemonSets: number, userCap: number | null): PodCounts | null {
  const eks = eksCapValue(it.vcpu)
  const limit = addressMaxPods(it, mode, eks)
  if (limit === null) return null
  const userCapped = userCap !== null && userCap < eks
  const cap = userCapped ? userCap : eks
  const recommendedMaxPods = Math.min(limit, cap)
  return { mode, maxPods: limit, cap, userCapped, recommendedMaxPods, podsForWorkloads: Math.max(0, recommendedMaxPods - HOST_NETWORK_PODS - daemonSets) }
}

interface LimitText {
  formula: string
  explanation: string
  references: string[]
}

function secondaryIpText(it: InstanceType, maxPods: number): LimitText {
  const E = it.maxEnis
  const I = it.ipv4PerEni
  return {
    formula: `${E} × (${I} − 1) + 2 = ${maxPods}`,
    explanation:
      `${it.name} has ${E} ENIs on its default network card with ${I} IPv4 addresses each; the primary address of every ENI ` +
      `is not given to pods, so ${E} × ${I - 1} pods get a VPC address, plus 2 host-network pods (aws-node, kube-proxy) that need none. ` +
      'This is the value AWS publishes in eni-max-pods.txt.',
    references: [REF.maxPodsFile, REF.eksMaxPods],
  }
}

/** How addressMaxPods came to `maxPods` for this mode, or why the mode cannot run (maxPods null). */
function addressLimitText(it: InstanceType, mode: Mode, maxPods: number | null): LimitText | { reason: string; references: string[] } {
  const E = it.maxEnis
  const I = it.ipv4PerEni
  switch (mode) {
    case 'secondary-ip':
      return secondaryIpText(it, maxPods as number)
    case 'prefix-delegation': {
      const references = [REF.prefixDelegation, REF.prefixTargets]
      if (maxPods === null) {
        return { reason: `prefix delegation needs a Nitro instance type (or Nitro bare metal, VPC CNI ≥ 1.11); ${it.name} runs on ${it.hypervisor ?? 'an unknown hypervisor'}`, references }
      }
      return {
        formula: `${E} × (${I} − 1) × 16 + 2 = ${maxPods}`,
        explanation:
          `Every secondary-address slot (${E} ENIs × ${I - 1}) holds a /28 prefix of 16 addresses instead of one address, plus the 2 host-network pods.` +
          (it.bareMetal ? ' Bare-metal types are Nitro systems: the VPC CNI supports prefix delegation on them since v1.11.' : ''),
        references,
      }
    }
    case 'custom-networking': {
      const references = [REF.customNetworking]
      if (maxPods === null) {
        return { reason: `custom networking leaves the primary ENI to the node subnet, so pods need a second ENI; ${it.name} has ${E}`, references }
      }
      return {
        formula: `(${E} − 1) × (${I} − 1) + 2 = ${maxPods}`,
        explanation:
          `The primary ENI stays in the node subnet and serves no pods, so only ${E - 1} of ${E} ENIs give pods addresses ` +
          `(from the ENIConfig subnets), ${I - 1} each, plus the 2 host-network pods.`,
        references,
      }
    }
    case 'ipv6': {
      const references = [REF.ipv6, REF.eksMaxPods]
      if (maxPods === null) {
        return { reason: `IPv6 on EKS needs prefix delegation, which needs a Nitro instance type (or Nitro bare metal); ${it.name} runs on ${it.hypervisor ?? 'an unknown hypervisor'}`, references }
      }
      return {
        formula: `not address-bound (a /80 per node) → EKS cap ${maxPods}`,
        explanation: 'Each node gets an IPv6 /80 prefix, far more addresses than pods, so the pod count is bound by the kubelet, set to the EKS guidance cap.',
        references,
      }
    }
    case 'security-groups-for-pods': {
      const references = [REF.sgForPods, REF.branchLimits]
      if (maxPods === null) {
        const why = /^t\d/.test(it.family) ? ' (no t-family type is)' : ''
        return { reason: `security groups for pods need a trunk ENI, and ${it.name} is not trunking-compatible${why}`, references }
      }
      const base = secondaryIpText(it, maxPods)
      return {
        formula: `${base.formula}; pods with their own security groups ≤ ${it.branchEnis} branch ENIs`,
        explanation:
          `Pods count toward max pods as in secondary-ip mode (${maxPods}); at most ${it.branchEnis} of them can have their own security groups, ` +
          'one branch ENI each on the trunk ENI. The trunk ENI takes one of the ENI slots, so the pods without their own ' +
          `security groups can get at most ${(E - 1) * (I - 1)} secondary addresses; Karpenter's docs advise RESERVED_ENIS=1 here.`,
        references: [...references, REF.maxPodsFile],
      }
    }
    case 'overlay':
      return {
        formula: `kubelet default --max-pods = ${KUBELET_DEFAULT_MAX_PODS}`,
        explanation: 'Pod addresses come from a cluster CIDR, not the VPC, so ENIs do not bound the pod count; the kubelet default of 110 does.',
        references: [REF.kubelet, REF.alternateCni],
      }
  }
}

function unsupported(it: InstanceType, mode: Mode, reason: string, references: string[]): MaxPodsResult {
  return {
    instanceType: it.name,
    mode,
    supported: false,
    reason,
    maxPods: null,
    recommendedMaxPods: null,
    podsForWorkloads: null,
    hostNetworkPods: HOST_NETWORK_PODS,
    cap: null,
    formula: '',
    explanation: `${mode} cannot run on ${it.name}: ${reason}`,
    references,
  }
}

/** Max pods of a type in a mode: podCounts' numbers with the formula, explanation and sources of each. */
export function maxPods(it: InstanceType, mode: Mode, opts: MaxPodsOptions = {}): MaxPodsResult {
  if (!(MODES as readonly string[]).includes(mode)) {
    throw new InputError('mode', `mode must be one of ${MODES.join(', ')}; got ${describe(mode)}`)
  }
  const { daemonSets, userCap } = validateOptions(opts)
  const counts = podCounts(it, mode, daemonSets, userCap)
  const limit = addressLimitText(it, mode, counts?.maxPods ?? null)
  if (counts === null || 'reason' in limit) return unsupported(it, mode, 'reason' in limit ? limit.reason : 'not supported', limit.references)

  const { maxPods: address, recommendedMaxPods: recommended, podsForWorkloads: workloads } = counts
  const cap = counts.userCapped ? { value: counts.cap, reason: `maxPodsCap ${counts.cap} asked for (lower than the EKS cap ${eksCapValue(it.vcpu)})` } : eksCap(it.vcpu)
  const capStep = recommended < address ? `; min(${address}, cap ${cap.value}) = ${recommended}` : ''
  const workloadStep = `; for workloads ${recommended} − ${HOST_NETWORK_PODS} host-network − ${daemonSets} DaemonSet = ${workloads}`
  const capText = recommended < address ? ` Capped to ${recommended}: ${cap.reason}.` : ` The cap (${cap.value}) does not bind.`
  return {
    instanceType: it.name,
    mode,
    supported: true,
    reason: null,
    maxPods: address,
    recommendedMaxPods: recommended,
    podsForWorkloads: workloads,
    hostNetworkPods: HOST_NETWORK_PODS,
    cap,
    formula: limit.formula + capStep + workloadStep,
    explanation:
      limit.explanation +
      capText +
      ` Left for workloads: ${workloads} (the 2 host-network pods and ${daemonSets} DaemonSet pod${daemonSets === 1 ? '' : 's'} per node taken off).`,
    references: limit.references,
  }
}

export function maxPodsAllModes(it: InstanceType, opts: MaxPodsOptions = {}): Record<Mode, MaxPodsResult> {
  const out = {} as Record<Mode, MaxPodsResult>
  for (const mode of MODES) out[mode] = maxPods(it, mode, opts)
  return out
}
