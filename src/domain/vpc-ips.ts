// VPC IPv4 addresses a node takes from its subnets for a number of pods, warm pool included.
// Pure. Rules: domain/aws-limits.md §6 (the VPC CNI's warm-pool settings) and DOMAIN.md.
//
// The warm pool stops growing once the addresses held reach the node's max pods: ipamd treats the pool as
// "not too low" when the node's max pods is reached (aws/amazon-vpc-cni-k8s pkg/ipamd/ipamd.go,
// isDatastorePoolTooLow), so a c5.18xlarge at 250 max pods holds 6 ENIs (294 secondaries), not 7.
import { ADDRESSES_PER_PREFIX, isNitroOrBareMetal, requireIntegerAtLeast } from './density.js'
import { InputError, type InstanceType, type Mode, type NodeOs } from './types.js'

/** The VPC CNI's warm-pool environment variables, in camelCase. */
export interface WarmPool {
  /** WARM_ENI_TARGET, default 1: whole free ENIs kept attached (ignored when an IP target is set). */
  warmEniTarget?: number
  /** WARM_IP_TARGET, default unset: free addresses kept. */
  warmIpTarget?: number
  /** MINIMUM_IP_TARGET, default unset: floor on addresses allocated. */
  minimumIpTarget?: number
  /** WARM_PREFIX_TARGET under prefix delegation: default 1, as the Helm chart and manifest ship it (the code's default is 0). */
  warmPrefixTarget?: number
}

export interface VpcIpsOptions extends WarmPool {
  /** Security groups for pods: how many of the pods get their own security groups (one branch ENI each). */
  sgPods?: number
  /** The kubelet max pods the node runs with: ipamd stops adding warm addresses once it holds this many. */
  maxPods?: number
  /** The node's operating system (default linux): a Windows node gives pods one ENI only. */
  os?: NodeOs
}

export interface NodeVpcIps {
  /** ENIs attached to the node (the trunk ENI included; branch ENIs are not attached ENIs). */
  enis: number
  /** Secondary IPv4 addresses held (used or warm); 0 under prefix delegation. */
  secondaryIps: number
  /** /28 prefixes held under prefix delegation (16 addresses each). */
  prefixes: number
  /** All VPC IPv4 addresses the node takes: podSubnetIps + nodeSubnetIps. */
  total: number
  /** Addresses held for pods (secondary, prefix and branch-ENI addresses; under custom networking also the
   *  primaries of the ENIs in the ENIConfig subnets). Outside custom networking these are in the node's subnet. */
  podSubnetIps: number
  /** The other addresses: ENI primaries in the node's subnet (under custom networking only the primary ENI's). */
  nodeSubnetIps: number
  formula: string
  explanation: string
}

export interface Settings {
  warmEni: number
  warmIp: number | null
  minimumIp: number | null
  warmPrefix: number
  sgPods: number
  /** null: no max-pods stop (the pool is bounded by the ENIs only). */
  maxPods: number | null
}

/** Checks the warm-pool settings (integers ≥ 0) and fills in the defaults; throws InputError naming the field. */
export function readSettings(opts: VpcIpsOptions): Settings {
  return {
    warmEni: setting(opts, 'warmEniTarget') ?? 1,
    warmIp: setting(opts, 'warmIpTarget'),
    minimumIp: setting(opts, 'minimumIpTarget'),
    warmPrefix: setting(opts, 'warmPrefixTarget') ?? 1,
    sgPods: setting(opts, 'sgPods') ?? 0,
    maxPods: setting(opts, 'maxPods'),
  }
}

function setting(opts: VpcIpsOptions, field: Exclude<keyof VpcIpsOptions, 'os'>): number | null {
  const value = opts[field]
  return value === undefined ? null : requireIntegerAtLeast(field, value, 0)
}

const ceilDiv = (a: number, b: number): number => Math.ceil(a / b)
const usesIpTargets = (s: Settings): boolean => s.warmIp !== null || s.minimumIp !== null

/** An address pool's numbers: what the settings ask for, and what the pool holds. */
interface AddressPool {
  enis: number
  ips: number
  /** Under an IP target the addresses asked, max(MINIMUM, pods + WARM); else the ENIs asked, min(maxEnis, used + WARM_ENI_TARGET). */
  asked: number
}

/**
 * Secondary addresses and ENIs for a pool of `slotsPerEni` addresses per ENI over at most `maxEnis` ENIs.
 * WARM_IP_TARGET / MINIMUM_IP_TARGET, when either is set, replace WARM_ENI_TARGET: the pool then holds
 * max(MINIMUM, pods + WARM) addresses (a missing one counts as 0), in as few ENIs as hold them.
 * Either way the pool stops once it holds the node's max pods (s.maxPods), never below what the pods use.
 */
function addressPool(pods: number, slotsPerEni: number, maxEnis: number, s: Settings, minEnis: number): AddressPool {
  if (usesIpTargets(s)) {
    const wanted = Math.max(s.minimumIp ?? 0, pods + (s.warmIp ?? 0))
    const ips = Math.min(wanted, maxEnis * slotsPerEni, s.maxPods === null ? Infinity : Math.max(pods, s.maxPods))
    return { enis: Math.max(minEnis, ceilDiv(ips, slotsPerEni)), ips, asked: wanted }
  }
  const warm = Math.min(maxEnis, ceilDiv(pods, slotsPerEni) + s.warmEni)
  // The smallest number of ENIs whose addresses reach max pods: ipamd attaches no ENI beyond it.
  const atMaxPods = s.maxPods === null ? Infinity : Math.max(ceilDiv(pods, slotsPerEni), ceilDiv(s.maxPods, slotsPerEni))
  const enis = Math.max(minEnis, Math.min(warm, atMaxPods))
  return { enis, ips: enis * slotsPerEni, asked: warm }
}

/** addressPool's working in words: the rule the settings apply, and where (and why) the pool stopped short of it. */
function addressRule(pods: number, slotsPerEni: number, maxEnis: number, s: Settings, pool: AddressPool): string {
  const { enis, ips, asked } = pool
  if (usesIpTargets(s)) {
    const stopped = ips < asked ? ` → ${ips} (${ips === maxEnis * slotsPerEni ? 'all the ENIs hold' : 'max pods reached'})` : ''
    return `max(MINIMUM_IP_TARGET ${s.minimumIp ?? 0}, ${pods} + WARM_IP_TARGET ${s.warmIp ?? 0}) = ${asked}${stopped} addresses in ${enis} ENI(s) of ${slotsPerEni}`
  }
  const stopped = enis < asked ? ` → ${enis} (${ips} addresses reach max pods ${s.maxPods})` : ''
  return `min(${maxEnis}, ⌈${pods} ÷ ${slotsPerEni}⌉ + WARM_ENI_TARGET ${s.warmEni}) = ${asked} ENI(s)${stopped} × ${slotsPerEni} = ${ips} addresses`
}

/** A prefix pool's numbers: the prefixes asked, those held, and whether the slots (not max pods) stopped it. */
interface PrefixPool {
  prefixes: number
  wanted: number
  allSlots: boolean
}

/** Prefixes held under prefix delegation: used + WARM_PREFIX_TARGET, or the IP targets in /28s; stopping at max pods. */
function prefixPool(pods: number, maxPrefixes: number, s: Settings): PrefixPool {
  let wanted: number
  if (usesIpTargets(s)) {
    wanted = ceilDiv(Math.max(s.minimumIp ?? 0, pods + (s.warmIp ?? 0)), ADDRESSES_PER_PREFIX)
  } else {
    if (s.warmPrefix === 0) throw new InputError('warmPrefixTarget', 'warmPrefixTarget must be ≥ 1 under prefix delegation unless an IP target is set (the VPC CNI does not support 0); got 0')
    wanted = ceilDiv(pods, ADDRESSES_PER_PREFIX) + s.warmPrefix
  }
  const atMaxPods = s.maxPods === null ? Infinity : Math.max(ceilDiv(pods, ADDRESSES_PER_PREFIX), ceilDiv(s.maxPods, ADDRESSES_PER_PREFIX))
  const prefixes = Math.min(wanted, maxPrefixes, atMaxPods)
  return { prefixes, wanted, allSlots: prefixes === maxPrefixes && prefixes < atMaxPods }
}

/** prefixPool's working in words. */
function prefixRule(pods: number, s: Settings, pool: PrefixPool): string {
  const { prefixes, wanted } = pool
  const rule = usesIpTargets(s)
    ? `⌈max(MINIMUM_IP_TARGET ${s.minimumIp ?? 0}, ${pods} + WARM_IP_TARGET ${s.warmIp ?? 0}) ÷ 16⌉ = ${wanted} prefixes`
    : `⌈${pods} ÷ 16⌉ + WARM_PREFIX_TARGET ${s.warmPrefix} = ${wanted} prefixes`
  if (prefixes === wanted) return rule
  return pool.allSlots ? `${rule} → ${prefixes} (all slots)` : `${rule} → ${prefixes} (${prefixes * 16} addresses reach max pods ${s.maxPods})`
}

function tooMany(it: InstanceType, mode: Mode, pods: number, capacity: number): never {
  throw new InputError('pods', `pods must be at most ${capacity} for ${it.name} in ${mode} (its address capacity); got ${pods}`)
}

/** nodeVpcIps' numbers, without its words. */
export type VpcIpsCounts = Omit<NodeVpcIps, 'formula' | 'explanation'>

/**
 * Addresses one node takes. `pods` = the pods on it that need a VPC address: workload pods and DaemonSet
 * pods that are not host-network (aws-node and kube-proxy need none).
 */
export function nodeVpcIps(it: InstanceType, mode: Mode, pods: number, opts: VpcIpsOptions = {}): NodeVpcIps {
  requireIntegerAtLeast('pods', pods, 0)
  const s = readSettings(opts)
  const os = opts.os ?? 'linux'
  const node = nodeVpcIpsFromSettings(it, mode, pods, s, os, true)
  node.explanation = vpcIpsExplanation(mode, os)
  return node
}

/**
 * nodeVpcIps' numbers alone, for callers that show none of its words (a recommendation's density, a
 * cluster's total): the same checks and arithmetic, without building the formula and explanation.
 */
export function nodeVpcIpsCounts(it: InstanceType, mode: Mode, pods: number, opts: VpcIpsOptions = {}): VpcIpsCounts {
  requireIntegerAtLeast('pods', pods, 0)
  return nodeVpcIpsFromSettings(it, mode, pods, readSettings(opts), opts.os ?? 'linux', false)
}

/**
 * nodeVpcIps with its settings already read (readSettings), for a caller that asks for many nodes under
 * the same settings (a capacity plan: a row per type). The formula is built only when `formula` is true
 * (else it is ''); the explanation is left '' (vpcIpsExplanation gives it: it depends on the mode alone).
 */
export function nodeVpcIpsFromSettings(it: InstanceType, mode: Mode, pods: number, s: Settings, os: NodeOs, formula: boolean): NodeVpcIps {
  requireIntegerAtLeast('pods', pods, 0)
  if (os === 'windows') return windowsNodeVpcIps(it, mode, pods, s, formula)
  const E = it.maxEnis
  const slots = it.ipv4PerEni - 1
  switch (mode) {
    case 'secondary-ip': {
      if (pods > E * slots) tooMany(it, mode, pods, E * slots)
      const pool = addressPool(pods, slots, E, s, 1)
      const total = pool.enis + pool.ips
      return {
        enis: pool.enis,
        secondaryIps: pool.ips,
        prefixes: 0,
        total,
        podSubnetIps: pool.ips,
        nodeSubnetIps: pool.enis,
        formula: formula ? `${addressRule(pods, slots, E, s, pool)}; + ${pool.enis} primary = ${total}` : '',
        explanation: '',
      }
    }
    case 'prefix-delegation': {
      if (!isNitroOrBareMetal(it)) throw new InputError('mode', `mode prefix-delegation needs a Nitro or bare-metal instance type; ${it.name} is not one`)
      const maxPrefixes = E * slots
      if (pods > maxPrefixes * ADDRESSES_PER_PREFIX) tooMany(it, mode, pods, maxPrefixes * ADDRESSES_PER_PREFIX)
      const pool = prefixPool(pods, maxPrefixes, s)
      const prefixes = pool.prefixes
      const enis = Math.max(1, ceilDiv(prefixes, slots))
      const podIps = prefixes * ADDRESSES_PER_PREFIX
      const total = podIps + enis
      return {
        enis,
        secondaryIps: 0,
        prefixes,
        total,
        podSubnetIps: podIps,
        nodeSubnetIps: enis,
        formula: formula ? `${prefixRule(pods, s, pool)} × 16 = ${podIps}; in ${enis} ENI(s) of ${slots} prefixes; + ${enis} primary = ${total}` : '',
        explanation: '',
      }
    }
    case 'custom-networking-prefix-delegation': {
      if (!isNitroOrBareMetal(it) || E < 2) throw new InputError('mode', `mode custom-networking-prefix-delegation needs a Nitro or bare-metal type with at least 2 ENIs; ${it.name} is not one`)
      const maxPrefixes = (E - 1) * slots
      if (pods > maxPrefixes * ADDRESSES_PER_PREFIX) tooMany(it, mode, pods, maxPrefixes * ADDRESSES_PER_PREFIX)
      const pool = prefixPool(pods, maxPrefixes, s)
      const prefixes = pool.prefixes
      const podEnis = prefixes === 0 ? 0 : ceilDiv(prefixes, slots)
      const podSubnetIps = prefixes * ADDRESSES_PER_PREFIX + podEnis
      const total = podSubnetIps + 1
      return {
        enis: podEnis + 1,
        secondaryIps: 0,
        prefixes,
        total,
        podSubnetIps,
        nodeSubnetIps: 1,
        formula: formula
          ? `pod ENIs: ${prefixRule(pods, s, pool)} × 16 = ${prefixes * ADDRESSES_PER_PREFIX} in ${podEnis} ENI(s) of ${slots} prefixes, + ${podEnis} primary = ${podSubnetIps} in the pod subnets; node subnet 1 (primary ENI) → ${total}`
          : '',
        explanation: '',
      }
    }
    case 'custom-networking': {
      if (E < 2) throw new InputError('mode', `mode custom-networking needs at least 2 ENIs; ${it.name} has ${E}`)
      if (pods > (E - 1) * slots) tooMany(it, mode, pods, (E - 1) * slots)
      const pool = addressPool(pods, slots, E - 1, s, 0)
      const podSubnetIps = pool.enis + pool.ips
      const total = podSubnetIps + 1
      return {
        enis: pool.enis + 1,
        secondaryIps: pool.ips,
        prefixes: 0,
        total,
        podSubnetIps,
        nodeSubnetIps: 1,
        formula: formula ? `pod ENIs: ${addressRule(pods, slots, E - 1, s, pool)}; pod subnets ${pool.ips} + ${pool.enis} primary = ${podSubnetIps}; node subnet 1 (primary ENI) → ${total}` : '',
        explanation: '',
      }
    }
    case 'security-groups-for-pods': {
      if (!it.trunking) throw new InputError('mode', `mode security-groups-for-pods needs a trunking-compatible instance type; ${it.name} is not one`)
      if (s.sgPods > pods) throw new InputError('sgPods', `sgPods must be at most pods (${pods}); got ${s.sgPods}`)
      if (s.sgPods > it.branchEnis) throw new InputError('sgPods', `sgPods must be at most ${it.branchEnis} (branch ENIs of ${it.name}); got ${s.sgPods}`)
      // The trunk ENI takes one of the E ENI slots, so the ordinary pool has at most E − 1 ENIs.
      const poolEnis = Math.max(1, E - 1)
      const others = pods - s.sgPods
      if (others > poolEnis * slots) {
        throw new InputError('sgPods', `sgPods must be at least ${others - poolEnis * slots + s.sgPods} for ${pods} pods on ${it.name}: with the trunk ENI taking an ENI slot, ${poolEnis * slots} pods without their own security groups get addresses; got ${s.sgPods}`)
      }
      const pool = addressPool(others, slots, poolEnis, s, 1)
      const total = pool.enis + pool.ips + 1 + s.sgPods
      return {
        enis: pool.enis + 1,
        secondaryIps: pool.ips,
        prefixes: 0,
        total,
        podSubnetIps: pool.ips + s.sgPods,
        nodeSubnetIps: pool.enis + 1,
        formula: formula ? `${others} ordinary pods: ${addressRule(others, slots, poolEnis, s, pool)}; + ${pool.enis} primary + 1 trunk ENI primary + ${s.sgPods} branch ENI = ${total}` : '',
        explanation: '',
      }
    }
    case 'ipv6':
    case 'overlay':
      if (mode === 'ipv6' && !isNitroOrBareMetal(it)) throw new InputError('mode', `mode ipv6 needs a Nitro or bare-metal instance type; ${it.name} is not one`)
      return { enis: 1, secondaryIps: 0, prefixes: 0, total: 1, podSubnetIps: 0, nodeSubnetIps: 1, formula: formula ? '1 primary IPv4 address; pods 0' : '', explanation: '' }
  }
}

/** What nodeVpcIps' explanation says: the same for every node of a mode (and node OS). */
export function vpcIpsExplanation(mode: Mode, os: NodeOs = 'linux'): string {
  if (os === 'windows') {
    return mode === 'secondary-ip'
      ? "A Windows node has one ENI for pods; counted with all its secondary addresses, the most it can hold, in the node's subnet."
      : 'A Windows node has one ENI for pods; each /28 prefix on it takes 16 addresses of the subnet, whole.'
  }
  switch (mode) {
    case 'secondary-ip':
      return `Every attached ENI holds its secondary addresses, used or warm, plus its own primary; all in the node's subnet.`
    case 'prefix-delegation':
      return 'Each /28 prefix takes 16 addresses of the subnet, whole, even if one pod uses it; a further ENI is attached only when its prefixes no longer fit.'
    case 'custom-networking-prefix-delegation':
      return "The primary ENI stays in the node's subnet with its one address; the other ENIs are created in the ENIConfig subnets and hold /28 prefixes, 16 addresses each, taken whole."
    case 'custom-networking':
      return "The primary ENI stays in the node's subnet with its one primary address and serves no pods; the other ENIs are created in the ENIConfig subnets, so their primaries and secondaries come from there."
    case 'security-groups-for-pods':
      return "As secondary-ip for the pods without their own security groups (over at most E − 1 ENIs: the trunk ENI takes a slot), plus the trunk ENI's primary and one address per branch ENI (one per pod with its own security groups)."
    case 'ipv6':
      return "Pods get IPv6 addresses from the node's /80 prefix; the node keeps one IPv4 address."
    case 'overlay':
      return "Pods get addresses from the overlay's cluster CIDR, not the VPC; the node keeps its one primary address."
  }
}

/**
 * A Windows node: one ENI serves pods, and the VPC resource controller (not ipamd) assigns its addresses.
 * Its warm-pool defaults are not documented where we could check them, so secondary-ip counts the whole
 * ENI's I − 1 secondary addresses: an upper bound, said in the formula. Prefix delegation counts the
 * prefixes the pods need plus WARM_PREFIX_TARGET, as on Linux.
 */
function windowsNodeVpcIps(it: InstanceType, mode: Mode, pods: number, s: Settings, formula: boolean): NodeVpcIps {
  const slots = it.ipv4PerEni - 1
  if (mode === 'secondary-ip') {
    if (pods > slots) tooMany(it, mode, pods, slots)
    return {
      enis: 1,
      secondaryIps: slots,
      prefixes: 0,
      total: slots + 1,
      podSubnetIps: slots,
      nodeSubnetIps: 1,
      formula: formula ? `Windows: 1 ENI × ${slots} secondary addresses (at most) + 1 primary = ${slots + 1}` : '',
      explanation: '',
    }
  }
  if (mode === 'prefix-delegation' && isNitroOrBareMetal(it)) {
    if (pods > slots * ADDRESSES_PER_PREFIX) tooMany(it, mode, pods, slots * ADDRESSES_PER_PREFIX)
    const pool = prefixPool(pods, slots, s)
    const prefixes = pool.prefixes
    const total = prefixes * ADDRESSES_PER_PREFIX + 1
    return {
      enis: 1,
      secondaryIps: 0,
      prefixes,
      total,
      podSubnetIps: prefixes * ADDRESSES_PER_PREFIX,
      nodeSubnetIps: 1,
      formula: formula ? `Windows: ${prefixRule(pods, s, pool)} × 16 = ${prefixes * ADDRESSES_PER_PREFIX} on its one ENI; + 1 primary = ${total}` : '',
      explanation: '',
    }
  }
  throw new InputError('mode', `mode ${mode} cannot run on Windows nodes (only secondary-ip, and prefix-delegation on Nitro types); got ${mode}`)
}

/** Nodes that carry the same number of pods needing an address. */
export interface NodeGroup {
  pods: number
  nodes: number
}

export interface ClusterVpcIps<PerNode extends VpcIpsCounts = NodeVpcIps> {
  nodes: number
  total: number
  podSubnetIps: number
  nodeSubnetIps: number
  /** One entry per group of identical nodes, with what each of its nodes takes. */
  groups: Array<NodeGroup & { perNode: PerNode }>
}

/**
 * Addresses a set of nodes of one type takes. Nodes come in groups of equal pod counts (an even spread
 * has at most two), so the work is per group, not per node: 3,000 one-pod nodes cost one computation.
 * `opts` may depend on the group's pod count (security groups for pods: pods beyond the ordinary pool).
 */
export function clusterVpcIps(
  it: InstanceType,
  mode: Mode,
  groups: readonly NodeGroup[],
  opts: VpcIpsOptions | ((podsOnNode: number) => VpcIpsOptions) = {},
): ClusterVpcIps {
  return cluster(it, mode, groups, opts, nodeVpcIps)
}

/** clusterVpcIps' numbers alone (each group's perNode without its words), for callers that show none of them. */
export function clusterVpcIpsCounts(
  it: InstanceType,
  mode: Mode,
  groups: readonly NodeGroup[],
  opts: VpcIpsOptions | ((podsOnNode: number) => VpcIpsOptions) = {},
): ClusterVpcIps<VpcIpsCounts> {
  return cluster(it, mode, groups, opts, nodeVpcIpsCounts)
}

function cluster<PerNode extends VpcIpsCounts>(
  it: InstanceType,
  mode: Mode,
  groups: readonly NodeGroup[],
  opts: VpcIpsOptions | ((podsOnNode: number) => VpcIpsOptions),
  node: (it: InstanceType, mode: Mode, pods: number, opts: VpcIpsOptions) => PerNode,
): ClusterVpcIps<PerNode> {
  const out: ClusterVpcIps<PerNode> = { nodes: 0, total: 0, podSubnetIps: 0, nodeSubnetIps: 0, groups: [] }
  for (const group of groups) {
    requireIntegerAtLeast('nodes', group.nodes, 0)
    const perNode = node(it, mode, group.pods, typeof opts === 'function' ? opts(group.pods) : opts)
    out.nodes += group.nodes
    out.total += group.nodes * perNode.total
    out.podSubnetIps += group.nodes * perNode.podSubnetIps
    out.nodeSubnetIps += group.nodes * perNode.nodeSubnetIps
    out.groups.push({ pods: group.pods, nodes: group.nodes, perNode })
  }
  return out
}

/**
 * totalPods spread as evenly as possible over `nodes` nodes, plus `extraPerNode` on every node (the
 * DaemonSet pods): (totalPods mod nodes) nodes get one more. Largest pod count first; empty groups left out.
 */
export function spreadPods(totalPods: number, nodes: number, extraPerNode = 0): NodeGroup[] {
  requireIntegerAtLeast('totalPods', totalPods, 0)
  requireIntegerAtLeast('nodes', nodes, 1)
  requireIntegerAtLeast('extraPerNode', extraPerNode, 0)
  const base = Math.floor(totalPods / nodes) + extraPerNode
  const extra = totalPods % nodes
  const groups: NodeGroup[] = []
  if (extra > 0) groups.push({ pods: base + 1, nodes: extra })
  if (nodes > extra) groups.push({ pods: base, nodes: nodes - extra })
  return groups
}
