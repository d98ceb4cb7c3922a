// Pods per node for each pod-networking mode: the address limit, the EKS cap, and what is left for
// workloads. Pure: no I/O. Each formula cites its source beside it (REF below); README "The catalog" lists them.
import { LRUCache } from 'lru-cache'
import { InputError, MODES, NODE_OS, type InstanceType, type Mode, type NodeOs } from './types.js'

export interface MaxPodsOptions {
  /** The nodes' operating system; default linux. Windows nodes give pods one ENI (see addressMaxPods). */
  os?: NodeOs
  /** Pods every node runs that are not host-network (they take a pod slot and, on VPC modes, an address). */
  daemonSetsPerNode?: number
  /** A lower kubelet --max-pods the team wants (integer ≥ 1); null or absent = none. */
  maxPodsCap?: number | null
  /** Why maxPodsCap applies, when it is not the team's own ask (EKS Auto Mode caps at 110). */
  capReason?: string
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
  /** Host-network system pods counted in max pods: 2 on Linux (aws-node, kube-proxy), 0 on Windows. */
  hostNetworkPods: number
  os: NodeOs
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
/**
 * On Windows nodes the VPC CNI and kube-proxy run as Windows services, not pods, and the VPC resource
 * controller gives pods the ENI's secondary addresses (I − 1): no host-network pods are counted.
 */
export const WINDOWS_HOST_NETWORK_PODS = 0

export function hostNetworkPods(os: NodeOs): number {
  return os === 'windows' ? WINDOWS_HOST_NETWORK_PODS : HOST_NETWORK_PODS
}
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
  // "Windows nodes support one elastic network interface per node … IP addresses available per elastic
  // network interface … minus one"; no security groups for pods, custom networking or IPv6 on Windows.
  windows: 'https://docs.aws.amazon.com/eks/latest/userguide/windows-support.html',
  windowsPrefix: 'https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/networking/prefix-mode_windows.adoc',
  ipv6Bp: 'https://github.com/aws/aws-eks-best-practices/blob/master/latest/bpg/networking/ipv6.adoc',
  // EC2 Mac instances run macOS AMIs only; EKS nodes run the EKS-optimized Linux, Bottlerocket or Windows AMIs.
  mac: 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-mac-instances.html',
  eksAmis: 'https://docs.aws.amazon.com/eks/latest/userguide/eks-optimized-amis.html',
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

/** EC2 Mac instances (mac1, mac2, mac2-m2 …) run macOS only: no EKS node AMI boots on them. */
export function isEksNode(it: InstanceType): boolean {
  return !it.family.startsWith('mac')
}

function validateOptions(opts: MaxPodsOptions): { daemonSets: number; userCap: number | null; os: NodeOs } {
  const daemonSets = opts.daemonSetsPerNode === undefined ? 0 : requireIntegerAtLeast('daemonSetsPerNode', opts.daemonSetsPerNode, 0)
  const userCap = opts.maxPodsCap === undefined || opts.maxPodsCap === null ? null : requireIntegerAtLeast('maxPodsCap', opts.maxPodsCap, 1)
  const os = opts.os ?? 'linux'
  if (!(NODE_OS as readonly string[]).includes(os)) throw new InputError('os', `os must be one of ${NODE_OS.join(', ')}; got ${describe(os)}`)
  return { daemonSets, userCap, os }
}

/** Modes whose pods need prefix delegation, and so a Nitro (or Nitro bare-metal) type. */
export function usesPrefixes(mode: Mode): boolean {
  return mode === 'prefix-delegation' || mode === 'custom-networking-prefix-delegation' || mode === 'ipv6'
}

/**
 * The address limit of a mode on a type, in pods per node (for an overlay, which is not address-bound, the
 * kubelet limit); null when the mode cannot run on the type (addressLimitText says why).
 * Linux: E ENIs with I IPv4 addresses each, the primary of every ENI not given to pods, plus the 2
 * host-network pods; under prefix delegation every secondary slot holds a /28 (16 addresses). IPv6 uses the
 * prefix arithmetic too (EKS best practices, IPv6: the VPC CNI computes max pods as in prefix mode).
 * Windows: one ENI serves pods, I − 1 (× 16 with prefixes), and no host-network pods.
 */
export function addressMaxPods(it: InstanceType, mode: Mode, eksCap: number, os: NodeOs = 'linux'): number | null {
  if (!isEksNode(it)) return null
  const E = it.maxEnis
  const I = it.ipv4PerEni
  const nitro = isNitroOrBareMetal(it)
  if (os === 'windows') {
    if (mode === 'secondary-ip') return I - 1
    if (mode === 'prefix-delegation') return nitro ? (I - 1) * ADDRESSES_PER_PREFIX : null
    return null
  }
  switch (mode) {
    case 'secondary-ip':
      return E * (I - 1) + HOST_NETWORK_PODS
    case 'prefix-delegation':
    case 'ipv6':
      return nitro ? E * (I - 1) * ADDRESSES_PER_PREFIX + HOST_NETWORK_PODS : null
    case 'custom-networking':
      return E >= 2 ? (E - 1) * (I - 1) + HOST_NETWORK_PODS : null
    case 'custom-networking-prefix-delegation':
      return nitro && E >= 2 ? (E - 1) * (I - 1) * ADDRESSES_PER_PREFIX + HOST_NETWORK_PODS : null
    case 'security-groups-for-pods':
      return it.trunking ? E * (I - 1) + HOST_NETWORK_PODS : null
    case 'overlay':
      return eksCap
  }
}

/** What maxPods works out, numbers only: for callers that need them for many types at once (capacity plans). */
export interface PodCounts {
  mode: Mode
  os: NodeOs
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
export function podCounts(it: InstanceType, mode: Mode, daemonSets: number, userCap: number | null, os: NodeOs = 'linux'): PodCounts | null {
  const eks = eksCapValue(it.vcpu)
  const limit = addressMaxPods(it, mode, eks, os)
  if (limit === null) return null
  const userCapped = userCap !== null && userCap < eks
  const cap = userCapped ? userCap : eks
  const recommendedMaxPods = Math.min(limit, cap)
  return { mode, os, maxPods: limit, cap, userCapped, recommendedMaxPods, podsForWorkloads: Math.max(0, recommendedMaxPods - hostNetworkPods(os) - daemonSets) }
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

const onWhat = (it: InstanceType): string => (it.bareMetal ? 'bare metal' : (it.hypervisor ?? 'an unknown hypervisor'))

/** Why a Windows node cannot run a mode (EKS windows-support: one ENI, no IPv6, SGP or custom networking). */
const WINDOWS_NO: Partial<Record<Mode, string>> = {
  'custom-networking': 'Windows nodes do not support custom networking',
  'custom-networking-prefix-delegation': 'Windows nodes do not support custom networking',
  ipv6: 'EKS IPv6 clusters take no Windows nodes',
  'security-groups-for-pods': 'security groups for pods do not work on Windows nodes',
  overlay: 'no overlay CNI runs on EKS Windows nodes (Calico runs there only as the policy engine beside the VPC CNI)',
}

/** How addressMaxPods came to `maxPods` for this mode, or why the mode cannot run (maxPods null). */
function addressLimitText(it: InstanceType, mode: Mode, maxPods: number | null, os: NodeOs): LimitText | { reason: string; references: string[] } {
  const E = it.maxEnis
  const I = it.ipv4PerEni
  if (!isEksNode(it)) {
    return { reason: `${it.name} is an EC2 Mac instance: it runs macOS only, and no EKS node AMI (Amazon Linux, Bottlerocket, Windows) boots on it`, references: [REF.mac, REF.eksAmis] }
  }
  if (os === 'windows') {
    const references = [REF.windows, REF.windowsPrefix]
    if (mode === 'secondary-ip') {
      return {
        formula: `Windows: ${I} − 1 = ${maxPods}`,
        explanation:
          `A Windows node gives pods one ENI only: its ${I} IPv4 addresses less the primary, so ${I - 1} pods; the VPC CNI and kube-proxy run ` +
          'as Windows services, not pods, so nothing is added for host-network pods.',
        references,
      }
    }
    if (mode === 'prefix-delegation') {
      if (maxPods === null) return { reason: `prefix delegation needs a Nitro instance type; ${it.name} runs on ${onWhat(it)}`, references }
      return {
        formula: `Windows: (${I} − 1) × 16 = ${maxPods}`,
        explanation: `A Windows node gives pods one ENI only; with prefix delegation each of its ${I - 1} secondary slots holds a /28 prefix of 16 addresses.`,
        references,
      }
    }
    return { reason: WINDOWS_NO[mode] ?? `${mode} is not available on Windows nodes`, references }
  }
  switch (mode) {
    case 'secondary-ip':
      return secondaryIpText(it, maxPods as number)
    case 'prefix-delegation': {
      const references = [REF.prefixDelegation, REF.prefixTargets]
      if (maxPods === null) {
        return { reason: `prefix delegation needs a Nitro instance type (or Nitro bare metal, VPC CNI ≥ 1.11); ${it.name} runs on ${onWhat(it)}`, references }
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
    case 'custom-networking-prefix-delegation': {
      const references = [REF.customNetworking, REF.prefixDelegation]
      if (maxPods === null) {
        const why = E < 2 ? `pods need a second ENI and ${it.name} has ${E}` : `prefix delegation needs a Nitro instance type and ${it.name} runs on ${onWhat(it)}`
        return { reason: `custom networking with prefix delegation cannot run: ${why}`, references }
      }
      return {
        formula: `(${E} − 1) × (${I} − 1) × 16 + 2 = ${maxPods}`,
        explanation:
          `The primary ENI stays in the node subnet and serves no pods; each secondary slot of the other ${E - 1} ENIs (in the ENIConfig subnets) ` +
          'holds a /28 prefix of 16 addresses, plus the 2 host-network pods.',
        references,
      }
    }
    case 'ipv6': {
      const references = [REF.ipv6, REF.ipv6Bp, REF.eksMaxPods]
      if (maxPods === null) {
        return { reason: `IPv6 on EKS needs prefix delegation, which needs a Nitro instance type (or Nitro bare metal); ${it.name} runs on ${onWhat(it)}`, references }
      }
      return {
        formula: `${E} × (${I} − 1) × 16 + 2 = ${maxPods}`,
        explanation:
          'Pod addresses come from the node’s IPv6 /80, but the VPC CNI still bounds pods by ENI slots as in prefix mode: each of the ' +
          `${E} × ${I - 1} slots counts 16 pods, plus the 2 host-network pods.`,
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
        formula: `not address-bound → kubelet --max-pods ${maxPods} (EKS guidance by vCPU)`,
        explanation:
          'Pod addresses come from a cluster CIDR, not the VPC, so ENIs do not bound the pod count; set kubelet --max-pods explicitly ' +
          '(the EKS AMI would otherwise apply the ENI number), to the same EKS guidance as prefix delegation: 110 up to 30 vCPUs, 250 above.',
        references: [REF.kubelet, REF.alternateCni, REF.eksMaxPods],
      }
  }
}

function unsupported(it: InstanceType, mode: Mode, os: NodeOs, reason: string, references: string[]): MaxPodsResult {
  return {
    os,
    instanceType: it.name,
    mode,
    supported: false,
    reason,
    maxPods: null,
    recommendedMaxPods: null,
    podsForWorkloads: null,
    hostNetworkPods: hostNetworkPods(os),
    cap: null,
    formula: '',
    explanation: `${mode} cannot run on ${it.name}: ${reason}`,
    references,
  }
}

/**
 * Results already worked out, by instance type (its name, and the very object: a new catalog version's
 * types miss, and replace the old ones' entries), mode, DaemonSets, OS and cap. One recommendation asks the
 * same ones for every option that runs there (17 options, 6 modes), and distinct questions share most of
 * them: without it the recommendation core over distinct questions took ~1.5× the CPU (bench/results.md).
 * A result is frozen, so a caller that changed one would fail, not corrupt the next answer. At most
 * 8,192 (~1 kB each: the formula and explanation), the least recently used dropped first, so that
 * distinct DaemonSets and caps cannot grow it without bound.
 *
 * lru-cache, not a Map used as a queue: dropping the oldest key of a Map (`map.delete(map.keys().next()
 * .value)`) makes V8 walk past every slot already deleted at the front of its table until the table is
 * rehashed, so once full, each miss cost ~9 µs (thousands of holes walked) where working the result out
 * costs ~1 µs; lru-cache keeps its order in typed arrays and drops in constant time (0.7 µs per
 * miss-and-keep at 50,000 entries, measured in one process, bench/results.md).
 */
const memo = new LRUCache<string, { it: InstanceType; result: MaxPodsResult }>({ max: 8192 })

/** Max pods of a type in a mode: podCounts' numbers with the formula, explanation and sources of each. */
export function maxPods(it: InstanceType, mode: Mode, opts: MaxPodsOptions = {}): MaxPodsResult {
  if (!(MODES as readonly string[]).includes(mode)) {
    throw new InputError('mode', `mode must be one of ${MODES.join(', ')}; got ${describe(mode)}`)
  }
  const { daemonSets, userCap, os } = validateOptions(opts)
  const key = `${it.name}|${mode}|${daemonSets}|${userCap ?? ''}|${os}|${opts.capReason ?? ''}`
  const known = memo.get(key)
  if (known !== undefined && known.it === it) return known.result
  const result = computeMaxPods(it, mode, daemonSets, userCap, os, opts.capReason)
  Object.freeze(result.references)
  if (result.cap !== null) Object.freeze(result.cap)
  memo.set(key, { it, result: Object.freeze(result) })
  return result
}

function computeMaxPods(it: InstanceType, mode: Mode, daemonSets: number, userCap: number | null, os: NodeOs, capReason: string | undefined): MaxPodsResult {
  const counts = podCounts(it, mode, daemonSets, userCap, os)
  const limit = addressLimitText(it, mode, counts?.maxPods ?? null, os)
  if (counts === null || 'reason' in limit) return unsupported(it, mode, os, 'reason' in limit ? limit.reason : 'not supported', limit.references)
  const host = hostNetworkPods(os)

  const { maxPods: address, recommendedMaxPods: recommended, podsForWorkloads: workloads } = counts
  const cap = counts.userCapped
    ? { value: counts.cap, reason: `${capReason ?? `maxPodsCap ${counts.cap} asked for`} (lower than the EKS cap ${eksCapValue(it.vcpu)})` }
    : eksCap(it.vcpu)
  const capStep = recommended < address ? `; min(${address}, cap ${cap.value}${counts.userCapped && capReason ? `: ${capReason}` : ''}) = ${recommended}` : ''
  const workloadStep = `; for workloads ${recommended} − ${host} host-network − ${daemonSets} DaemonSet = ${workloads}`
  const capText = recommended < address ? ` Capped to ${recommended}: ${cap.reason}.` : ` The cap (${cap.value}) does not bind.`
  return {
    instanceType: it.name,
    mode,
    os,
    supported: true,
    reason: null,
    maxPods: address,
    recommendedMaxPods: recommended,
    podsForWorkloads: workloads,
    hostNetworkPods: host,
    cap,
    formula: limit.formula + capStep + workloadStep,
    explanation:
      limit.explanation +
      capText +
      ` Left for workloads: ${workloads} (${host === 0 ? 'no host-network pods on Windows' : `the ${host} host-network pods`} and ${daemonSets} DaemonSet pod${daemonSets === 1 ? '' : 's'} per node taken off).`,
    references: limit.references,
  }
}

export function maxPodsAllModes(it: InstanceType, opts: MaxPodsOptions = {}): Record<Mode, MaxPodsResult> {
  const out = {} as Record<Mode, MaxPodsResult>
  for (const mode of MODES) out[mode] = maxPods(it, mode, opts)
  return out
}
