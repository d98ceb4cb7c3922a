// The recommendation engine: which CNI option fits a team's requirements, and why. Pure and
// deterministic: no I/O, no clock, no randomness; the same requirements and catalog give the same answer.
//
// How it reasons (../shared/DOMAIN.md "How a recommendation should reason"):
// 1. Hard constraints: every `required` need, fargate/windows = true, a podsPerNode the option must reach
//    on every requested instance type, and a podIpBudget the cluster must fit in. An option failing one
//    is `blocked`, with exactly one blocker per unmet need.
// 2. Weighted criteria (WEIGHTS): each gives a 0-100 score and a reason; the option's score is their
//    weighted mean. Weights are the same for every option of one request, so scores compare.
// 3. Ranking: unblocked before blocked, then score, then lower operational complexity, then id.
//
// Two decisions worth knowing:
// - NetworkPolicy: the plain VPC CNI modes do NOT meet a networkPolicy need. The add-on ships a policy
//   agent, but it is off by default (enableNetworkPolicy=false); turning it on is its own option,
//   aws-vpc-cni-network-policy, so the answer names the configuration that actually enforces policy.
//   That option (and the Calico/Cilium chained ones) is shown on prefix delegation so that
//   "policy + density" is not a false conflict (see cni-options.ts densityModeWhy).
// - Encryption: an option meets an encryption need if the CNI encrypts (WireGuard/IPsec), or if EVERY
//   requested instance type supports Nitro in-transit encryption. Nitro encrypts whatever the instance
//   sends between two capable instances in one VPC, so it is credited to every option, overlays
//   included; only the VPC CNI modes depend on it, because they have no encryption of their own.
//   A type with an unknown flag (null) counts as not encrypting.
import {
  CNI_OPTIONS,
  POLICY_DEPTHS,
  type CaveatContext,
  type CniOption,
  type Datapath,
  type EncryptionMethod,
  type MulticastSupport,
  type PolicyDepth,
  type Support,
} from './cni-options.js'
import { subnetBudget, subnetPrefixBlocks } from './cidr.js'
import { maxPods, usesPrefixes, type MaxPodsResult } from './density.js'
import { InputError, LEVEL_NEEDS, type InstanceType, type LevelNeed, type Mode, type NodeOs, type Performance, type Plugin, type Requirements } from './types.js'
import { clusterVpcIps, nodeVpcIps, spreadPods } from './vpc-ips.js'

/** What the engine needs from the catalog; the caller passes it in. */
export interface CatalogView {
  instanceType(name: string): InstanceType | undefined
}

export const CRITERIA = [
  'performance',
  'density',
  'podIpBudget',
  'encryption',
  'multicast',
  'networkPolicy',
  'securityGroupsForPods',
  'flowLogs',
  'portability',
  'ipv6',
  'operationalSimplicity',
  'supportHealth',
] as const
export type Criterion = (typeof CRITERIA)[number]

/** Needs that can block an option: the level needs, the two platform booleans, and the two numbers. */
export type BlockerCriterion = LevelNeed | 'fargate' | 'windows' | 'density' | 'podIpBudget' | 'maintenance'

/**
 * The weights, in one place. A criterion counts with this weight when it applies to the request, and with
 * weight 0 otherwise (the score and reason are still shown). Relative sizes follow cni-options.md §6.
 */
export const WEIGHTS: Readonly<Record<Criterion, number>> = Object.freeze({
  // Always applies. Sensitivity does not change the weight; it widens the gap between native routing and
  // overlays inside the score, so raising sensitivity can only help overlay-free options.
  performance: 3,
  // Applies when podsPerNode is given: headroom over the asked density (reaching it at all is a hard constraint).
  density: 2,
  // Applies when podIpBudget and totalPods are given: share of the budget left (exceeding it is a hard constraint).
  podIpBudget: 2,
  // Applies when encryption is preferred or required: how much the encryption costs (free on Nitro,
  // WireGuard ~10x CPU per Gbit, IPsec a ~5 Gbit/s per-flow ceiling), or 0 when there is none.
  encryption: 3,
  // The level needs apply when preferred or required; among options that meet a required need they
  // still separate depth (beta vs GA multicast, L3/L4 vs L7 policy). Multicast is all-or-nothing for the
  // apps that ask for it, hence heavier; flow-log visibility and portability are nice-to-haves.
  multicast: 3,
  networkPolicy: 2,
  securityGroupsForPods: 2,
  flowLogs: 1,
  portability: 1,
  ipv6: 2,
  // Always applies: day-2 work (cni-options.md §6 ordering), and who answers the phone when it breaks.
  operationalSimplicity: 2,
  supportHealth: 2,
})

export interface Blocker {
  criterion: BlockerCriterion
  reason: string
}

export interface CriterionScore {
  criterion: Criterion
  weight: number
  score: number
  reason: string
}

/** Density of one option on one requested instance type. */
export interface InstanceDensity {
  instanceType: string
  mode: Mode
  supported: boolean
  /** The kubelet --max-pods to use (address limit after the EKS cap); null when the mode cannot run. */
  maxPodsPerNode: number | null
  /** maxPodsPerNode − the 2 host-network pods − daemonSetsPerNode. */
  podsForWorkloads: number | null
  /** VPC IPv4 addresses a full node takes, warm pool included (1 for overlay and IPv6: the node's own). */
  vpcIpsPerNode: number | null
}

/**
 * The option's density on the FIRST requested instance type (the numbers a reader sees first), plus
 * `byInstanceType` for every requested type when more than one was asked for. Blocking checks use all types.
 */
export interface OptionDensity extends InstanceDensity {
  /** Address limit before any cap (null when unsupported). */
  addressLimit: number | null
  formula: string
  explanation: string
  /** VPC addresses the whole cluster takes for totalPods (warm pool included) on the type that needs most; null without totalPods. */
  vpcIpsForTotalPods: {
    instanceType: string
    mode: Mode
    nodes: number
    vpcIps: number
    /** /28 prefixes among vpcIps (prefix modes), and the ENI primary addresses in the node subnets. */
    prefixes: number
    primaries: number
    fromPodIpBudget: boolean
  } | null
  byInstanceType?: InstanceDensity[]
}

export type Verdict = 'recommended' | 'suitable' | 'blocked'

/** One option as the contract shows it. */
export interface ScoredOption {
  id: string
  plugin: Plugin
  variant: string
  name: string
  /** Weighted mean of the criteria, 0-100 (also computed for blocked options, which rank last anyway). */
  score: number
  verdict: Verdict
  blockers: Blocker[]
  criteria: CriterionScore[]
  density: OptionDensity
  caveats: string[]
  explanation: string
  references: string[]
}

export interface RecommendationCore {
  recommendation: ScoredOption | null
  satisfiable: boolean
  options: ScoredOption[]
  summary: string
  requirements: Requirements
}

// ---------------------------------------------------------------------------------------------
// Score tables: how facts become 0-100. Kept here, not in the KB, so the KB stays facts only.
// ---------------------------------------------------------------------------------------------

/** Performance = 70 + SENSITIVITY × DATAPATH_DELTA: native paths gain, overlays lose as sensitivity rises. */
const PERFORMANCE_BASE = 70
const SENSITIVITY: Readonly<Record<Performance, number>> = { low: 0.2, medium: 0.5, high: 1 }
const DATAPATH_DELTA: Readonly<Record<Datapath, number>> = {
  'native-ebpf': 30,
  native: 25,
  'mostly-native': -5,
  'overlay-ebpf': -12,
  overlay: -20,
  'overlay-small-mtu': -40,
}
const DATAPATH_WORDS: Readonly<Record<Datapath, string>> = {
  'native-ebpf': 'native VPC routing with an eBPF data path',
  native: 'native VPC routing, no encapsulation',
  'mostly-native': 'unencapsulated inside a subnet, encapsulated across subnets',
  'overlay-ebpf': 'an eBPF VXLAN overlay',
  overlay: 'a kernel VXLAN overlay',
  'overlay-small-mtu': 'an overlay whose default MTU (1376) costs throughput',
}

const NITRO_SCORE = 100
const ENCRYPTION_SCORE: Readonly<Record<EncryptionMethod, number>> = { wireguard: 60, ipsec: 50, 'weave-ipsec': 25 }
const ENCRYPTION_WORDS: Readonly<Record<EncryptionMethod, string>> = { wireguard: 'WireGuard', ipsec: 'IPsec', 'weave-ipsec': "Weave's IPsec/NaCl" }

const MULTICAST_SCORE: Readonly<Record<MulticastSupport, number>> = { yes: 100, beta: 80, none: 0 }
const POLICY_SCORE: Readonly<Record<PolicyDepth, number>> = { l7: 100, rich: 85, basic: 65, none: 0 }
const SUPPORT_SCORE: Readonly<Record<Support, number>> = { yes: 100, partial: 55, no: 0 }
const OPS_STEP = 10

type LevelFact = 'multicast' | 'networkPolicy' | 'securityGroupsForPods' | 'flowLogs' | 'portability' | 'ipv6'

// ---------------------------------------------------------------------------------------------
// Per-request context
// ---------------------------------------------------------------------------------------------

interface Context {
  req: Requirements
  types: InstanceType[]
  /** Every requested type supports Nitro in-transit encryption. */
  nitroEncrypts: boolean
  budgetApplies: boolean
}

interface Evaluated {
  option: CniOption
  blockers: Blocker[]
  criteria: CriterionScore[]
  score: number
  density: OptionDensity
  perType: MaxPodsResult[]
  caveats: string[]
}

function resolveTypes(req: Requirements, catalog: CatalogView): InstanceType[] {
  const unknown: string[] = []
  const types: InstanceType[] = []
  for (const name of req.instanceTypes) {
    const it = catalog.instanceType(name)
    if (it === undefined) unknown.push(name)
    else types.push(it)
  }
  if (unknown.length > 0) {
    throw new InputError(
      'instanceTypes',
      `instanceTypes must name EC2 instance types the catalog knows (e.g. m5.large); unknown: ${unknown.map((n) => JSON.stringify(n)).join(', ')}`,
    )
  }
  if (types.length === 0) throw new InputError('instanceTypes', 'instanceTypes must name at least one EC2 instance type; got none')
  return types
}

const list = (items: readonly string[], conjunction = 'and'): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`

const needLabel = (need: BlockerCriterion, req: Requirements): string => {
  switch (need) {
    case 'fargate':
    case 'windows':
      return `${need}=true`
    case 'density':
      return req.podsPerNode === null ? `instanceTypes=${req.instanceTypes.join(',')}` : `podsPerNode=${req.podsPerNode}`
    case 'podIpBudget':
      return req.podSubnets ? `podSubnets=${req.podSubnets.join(',')}` : `podIpBudget=${req.podIpBudget ?? ''}`
    case 'maintenance':
      return 'a maintained project'
    default:
      return `${need}=${req[need]}`
  }
}

// ---------------------------------------------------------------------------------------------
// Hard constraints and criteria for one option
// ---------------------------------------------------------------------------------------------

/** The nodes' OS for an option's density: Windows arithmetic where the cluster has Windows nodes and the option runs there. */
function densityOs(option: CniOption, req: Requirements): NodeOs {
  return req.windows && option.facts.windows.value !== 'no' ? 'windows' : 'linux'
}

/**
 * The modes an option can run its pods in, first choice first. In an IPv6 cluster every option on the VPC
 * CNI's IPAM runs the IPv6 mode (prefix arithmetic, Nitro only: EKS cni-ipv6); otherwise its densityMode,
 * then its fallbackMode (a policy add-on runs on secondary IPs where prefixes cannot, or do not fit).
 */
function modeChoices(option: CniOption, req: Requirements): Mode[] {
  // (With Windows nodes an IPv6 cluster is ruled out by its own blocker, so density need not say it again.)
  if (req.ipv6 === 'required' && !req.windows && option.facts.podIpSource.value === 'vpc-node-subnet' && option.facts.ipv6.value !== 'no' && option.densityMode !== 'secondary-ip') {
    return ['ipv6']
  }
  return option.fallbackMode === undefined ? [option.densityMode] : [option.densityMode, option.fallbackMode]
}

/** The option's density on one type in one mode, with the option's own max-pods cap (Auto Mode: 110). */
function densityIn(option: CniOption, it: InstanceType, mode: Mode, req: Requirements): MaxPodsResult {
  return maxPods(it, mode, {
    daemonSetsPerNode: req.daemonSetsPerNode,
    os: densityOs(option, req),
    maxPodsCap: option.maxPodsCap?.value ?? null,
    capReason: option.maxPodsCap?.reason,
  })
}

/** VPC addresses options for a node of `it` running `pods` address-taking pods under the density found. */
function nodeOptsFor(m: MaxPodsResult): { maxPods?: number; os: NodeOs } {
  return m.recommendedMaxPods === null ? { os: m.os } : { maxPods: m.recommendedMaxPods, os: m.os }
}

function densityOf(option: CniOption, ctx: Context): { perType: MaxPodsResult[]; density: OptionDensity } {
  const { req, types } = ctx
  const choices = modeChoices(option, req)
  let perType: MaxPodsResult[] = []
  let vpcIpsForTotalPods: OptionDensity['vpcIpsForTotalPods'] = null
  // Per type, the first mode that runs there; across the cluster, the first set of choices that reaches
  // podsPerNode and fits the IP budget (else the first choice, whose blockers then say why).
  for (let c = 0; c < choices.length; c++) {
    const tried = types.map((it) => {
      const results = choices.slice(c).map((mode) => densityIn(option, it, mode, req))
      return results.find((m) => m.supported) ?? (results[0] as MaxPodsResult)
    })
    const total = clusterIps(option, ctx, tried)
    if (c === 0) {
      perType = tried
      vpcIpsForTotalPods = total
    }
    if (reaches(tried, req) && budgetFits(option, ctx, total)) {
      perType = tried
      vpcIpsForTotalPods = total
      break
    }
  }
  const rows: InstanceDensity[] = perType.map((m, i) => {
    const it = types[i] as InstanceType
    let vpcIpsPerNode: number | null = null
    if (m.supported && m.podsForWorkloads !== null) {
      vpcIpsPerNode = nodeVpcIps(it, m.mode, m.podsForWorkloads + req.daemonSetsPerNode, nodeOptsFor(m)).total
    }
    return {
      instanceType: m.instanceType,
      mode: m.mode,
      supported: m.supported,
      maxPodsPerNode: m.recommendedMaxPods,
      podsForWorkloads: m.podsForWorkloads,
      vpcIpsPerNode,
    }
  })
  const first = perType[0] as MaxPodsResult
  const firstRow = rows[0] as InstanceDensity
  const density: OptionDensity = {
    ...firstRow,
    addressLimit: first.maxPods,
    formula: first.formula,
    explanation: first.explanation,
    vpcIpsForTotalPods,
  }
  if (rows.length > 1) density.byInstanceType = rows
  return { perType, density }
}

/** Every type runs the mode and reaches podsPerNode (when asked). */
function reaches(perType: readonly MaxPodsResult[], req: Requirements): boolean {
  return perType.every((m) => m.supported && (req.podsPerNode === null || (m.podsForWorkloads ?? 0) >= req.podsPerNode))
}

/** The /28 blocks a prefix-mode cluster needs from podSubnets, and the blocks they hold; null when not counted in blocks. */
function prefixBlocks(ctx: Context, total: NonNullable<OptionDensity['vpcIpsForTotalPods']>): { needed: number; held: number } | null {
  if (ctx.req.podSubnets === null || !usesPrefixes(total.mode)) return null
  return { needed: total.prefixes + Math.ceil(total.primaries / 16), held: subnetPrefixBlocks(subnetBudget(ctx.req.podSubnets).subnets) }
}

/** The cluster's VPC addresses fit podIpBudget (in /28 blocks under prefixes with podSubnets), or no budget applies. */
function budgetFits(option: CniOption, ctx: Context, total: OptionDensity['vpcIpsForTotalPods']): boolean {
  if (!ctx.budgetApplies || ctx.req.podIpBudget === null || option.facts.podIpSource.value !== 'vpc-node-subnet') return true
  if (total === null) return false
  const blocks = prefixBlocks(ctx, total)
  return blocks === null ? total.vpcIps <= ctx.req.podIpBudget : blocks.needed <= blocks.held
}

/** Addresses the cluster takes for totalPods on each type; the largest is what a budget must hold. */
function clusterIps(option: CniOption, ctx: Context, perType: MaxPodsResult[]): OptionDensity['vpcIpsForTotalPods'] {
  const { req, types } = ctx
  if (req.totalPods === null) return null
  let worst: NonNullable<OptionDensity['vpcIpsForTotalPods']> | null = null
  perType.forEach((m, i) => {
    if (!m.supported || m.podsForWorkloads === null || m.podsForWorkloads < 1 || req.totalPods === null) return
    const nodes = Math.ceil(req.totalPods / m.podsForWorkloads)
    const pods = spreadPods(req.totalPods, nodes, req.daemonSetsPerNode)
    const ips = clusterVpcIps(types[i] as InstanceType, m.mode, pods, nodeOptsFor(m))
    const fromPodIpBudget = option.facts.podIpSource.value === 'vpc-node-subnet'
    const prefixes = ips.groups.reduce((n, g) => n + g.nodes * g.perNode.prefixes, 0)
    if (worst === null || ips.total > worst.vpcIps) {
      worst = { instanceType: m.instanceType, mode: m.mode, nodes, vpcIps: ips.total, prefixes, primaries: ips.nodeSubnetIps, fromPodIpBudget }
    }
  })
  return worst
}

function supportMeets(need: LevelFact, value: Support): boolean {
  // Portability needs the whole configuration to move; `partial` there means the IPAM does not.
  return need === 'portability' ? value === 'yes' : value !== 'no'
}

function levelFactMet(option: CniOption, need: LevelFact, ctx: Context): { met: boolean; score: number; reason: string } {
  const f = option.facts
  switch (need) {
    case 'multicast': {
      const v = f.multicast.value
      const what = v === 'yes' ? 'carries pod multicast' : v === 'beta' ? 'carries pod multicast (beta)' : 'has no pod multicast'
      return { met: v !== 'none', score: MULTICAST_SCORE[v], reason: `${option.name} ${what}: ${f.multicast.note}` }
    }
    case 'networkPolicy': {
      const v = f.networkPolicy.value
      const depth = v === 'none' ? 'enforces no NetworkPolicy' : `enforces NetworkPolicy (${v === 'basic' ? 'Kubernetes L3/L4' : v === 'rich' ? 'L3/L4 plus a richer policy API' : 'up to L7 and FQDN'})`
      return { met: POLICY_DEPTHS.indexOf(v) >= POLICY_DEPTHS.indexOf('basic'), score: POLICY_SCORE[v], reason: `${option.name} ${depth}: ${f.networkPolicy.note}` }
    }
    case 'securityGroupsForPods': {
      const v = f.securityGroupsForPods.value
      const notTrunking = ctx.types.filter((it) => !it.trunking).map((it) => it.name)
      if (v === 'no') return { met: false, score: 0, reason: `${option.name} cannot give pods their own security groups: ${f.securityGroupsForPods.note}` }
      if (ctx.req.windows) {
        return { met: false, score: 0, reason: 'Security groups for pods do not work on Windows nodes (EKS windows-support), and the cluster has Windows nodes.' }
      }
      if (notTrunking.length > 0) {
        return {
          met: false,
          score: 0,
          reason: `Security groups for pods need a trunk ENI, and ${list(notTrunking)} ${notTrunking.length === 1 ? 'is' : 'are'} not trunking-compatible (no t-family type is); choose trunking Nitro types such as m5 or m6i.`,
        }
      }
      return { met: true, score: SUPPORT_SCORE[v], reason: `${option.name} gives pods their own security groups on ${list(ctx.types.map((t) => t.name))}: ${f.securityGroupsForPods.note}` }
    }
    case 'flowLogs': {
      const v = f.podIpsVisibleInVpc.value
      return {
        met: supportMeets(need, v),
        score: SUPPORT_SCORE[v],
        reason: `${v === 'no' ? 'Pod IPs are hidden from VPC Flow Logs and security groups' : 'Pod IPs are visible in VPC Flow Logs and to security groups'}: ${f.podIpsVisibleInVpc.note}`,
      }
    }
    case 'portability': {
      const v = f.portability.value
      const what = v === 'yes' ? 'runs the same off AWS' : v === 'partial' ? 'is only partly portable' : 'is AWS-only'
      return { met: supportMeets(need, v), score: SUPPORT_SCORE[v], reason: `${option.name} ${what}: ${f.portability.note}` }
    }
    case 'ipv6': {
      const v = f.ipv6.value
      const what = v === 'yes' ? 'supports IPv6 pods' : v === 'partial' ? 'supports IPv6 pods with limits' : 'does not support IPv6 pods'
      return { met: supportMeets(need, v), score: SUPPORT_SCORE[v], reason: `${option.name} ${what}: ${f.ipv6.note}` }
    }
  }
}

function encryptionOf(option: CniOption, ctx: Context): { met: boolean; score: number; reason: string; viaNitro: boolean } {
  // WireGuard and IPsec in these CNIs run on Linux nodes only: on a cluster with Windows nodes they leave
  // the Windows nodes' traffic unencrypted (DOMAIN.md; tigera/docs encrypt-cluster-pod-traffic, Linux only).
  const methods = ctx.req.windows ? [] : option.facts.encryption.value.methods
  const best = [...methods].sort((a, b) => ENCRYPTION_SCORE[b] - ENCRYPTION_SCORE[a])[0]
  const typeNames = list(ctx.types.map((t) => t.name))
  if (ctx.nitroEncrypts) {
    return {
      met: true,
      score: NITRO_SCORE,
      viaNitro: true,
      reason:
        `${typeNames} ${ctx.types.length === 1 ? 'encrypts' : 'all encrypt'} traffic between instances in Nitro hardware at no performance cost, so ` +
        (methods.length === 0 ? `${option.name} needs no encryption of its own` : `${option.name} can leave its own ${list(methods.map((m) => ENCRYPTION_WORDS[m]), 'or')} off`) +
        ' (scope: same VPC or peered VPCs, no load balancer or Transit Gateway hop, AWS-managed keys).',
    }
  }
  const nonNitro = ctx.types.filter((t) => t.encryptionInTransit !== true).map((t) => t.name)
  const why = `${list(nonNitro)} ${nonNitro.length === 1 ? 'does' : 'do'} not support Nitro in-transit encryption`
  if (best === undefined) {
    const own =
      ctx.req.windows && option.facts.encryption.value.methods.length > 0
        ? `${option.name}'s ${list(option.facts.encryption.value.methods.map((m) => ENCRYPTION_WORDS[m]), 'or')} does not run on Windows nodes`
        : `${option.name} has no encryption of its own`
    return { met: false, score: 0, viaNitro: false, reason: `${own} and ${why}; pick an encrypting Nitro type (e.g. m6i instead of m5)${ctx.req.windows ? '' : ' or a CNI with WireGuard'}.` }
  }
  return {
    met: true,
    score: ENCRYPTION_SCORE[best],
    viaNitro: false,
    reason: `${why}, so ${option.name} encrypts with ${list(methods.map((m) => ENCRYPTION_WORDS[m]), 'or')}; cost: ${option.facts.encryptionCost.value}.`,
  }
}

function performanceOf(option: CniOption, req: Requirements): { score: number; reason: string } {
  const datapath = option.facts.performance.value
  const score = Math.round(PERFORMANCE_BASE + SENSITIVITY[req.performance] * DATAPATH_DELTA[datapath])
  return {
    score,
    reason: `Performance sensitivity ${req.performance}; ${DATAPATH_WORDS[datapath]}. ${option.facts.performance.note}`,
  }
}

function evaluate(option: CniOption, ctx: Context): Evaluated {
  const { req, types } = ctx
  const f = option.facts
  const blockers: Blocker[] = []
  const { perType, density } = densityOf(option, ctx)
  // Caveats are said of the instance type the question is about (the first one asked for).
  const about: CaveatContext = {
    instanceType: density.instanceType,
    mode: density.mode,
    addressLimit: density.addressLimit,
    maxPodsPerNode: density.maxPodsPerNode,
    podsForWorkloads: density.podsForWorkloads,
  }
  const caveats: string[] = []
  for (const c of option.caveats) {
    const text = typeof c === 'string' ? c : c(about)
    if (text !== null) caveats.push(text)
  }

  // An archived or unmaintained project is never a choice, whatever it scores: no fixes, no security updates.
  if (f.maintenance.value.status === 'unmaintained') {
    blockers.push({ criterion: 'maintenance', reason: `${option.name} is unmaintained: ${f.maintenance.note}` })
  }
  // Platform booleans: hard only.
  if (req.fargate && f.fargate.value === 'no') blockers.push({ criterion: 'fargate', reason: `${option.name} cannot serve Fargate pods: ${f.fargate.note}` })
  if (req.fargate && f.fargate.value === 'partial') caveats.push(`Fargate: ${f.fargate.note}`)
  if (req.windows && f.windows.value === 'no') blockers.push({ criterion: 'windows', reason: `${option.name} does not support Windows nodes: ${f.windows.note}` })

  const criteria: CriterionScore[] = []
  const weightFor = (c: Criterion, applies: boolean): number => (applies ? WEIGHTS[c] : 0)

  // Performance: always applies.
  const perf = performanceOf(option, req)
  criteria.push({ criterion: 'performance', weight: WEIGHTS.performance, score: perf.score, reason: perf.reason })

  // Density: podsPerNode reachable on every requested type; an unsupported mode blocks even without it,
  // because the option cannot run on that type at all.
  const unsupported = perType.filter((m) => !m.supported)
  const short = req.podsPerNode === null ? [] : perType.filter((m) => m.supported && (m.podsForWorkloads ?? 0) < (req.podsPerNode as number))
  if (unsupported.length > 0 || short.length > 0) {
    const parts = [
      ...unsupported.map((m) => `${m.mode} cannot run on ${m.instanceType} (${m.reason ?? 'unsupported'})`),
      ...short.map(
        (m) =>
          `${m.instanceType} fits ${m.podsForWorkloads} workload pods per node in ${m.mode} mode${m.os === 'windows' ? ' on Windows' : ''} ` +
          `(max pods ${m.recommendedMaxPods}: ${m.formula}${m.cap !== null && (m.recommendedMaxPods ?? 0) < (m.maxPods ?? 0) ? `; ${m.cap.reason}` : ''})`,
      ),
    ]
    blockers.push({ criterion: 'density', reason: `${req.podsPerNode === null ? 'Not deployable on the requested types' : `${req.podsPerNode} pods per node are out of reach`}: ${parts.join('; ')}.` })
  }
  {
    const reachable = perType.map((m) => m.podsForWorkloads ?? 0)
    const worst = Math.min(...reachable)
    const worstType = perType[reachable.indexOf(worst)] as MaxPodsResult
    if (req.podsPerNode === null) {
      criteria.push({
        criterion: 'density',
        weight: 0,
        score: Math.min(100, Math.round((100 * worst) / 108)),
        reason: `No podsPerNode asked; for reference ${worstType.instanceType} fits ${worst} workload pods per node in ${worstType.mode} mode${worstType.os === 'windows' ? ' on Windows' : ''}.`,
      })
    } else {
      const score = Math.min(100, Math.round((100 * worst) / (1.5 * req.podsPerNode)))
      criteria.push({
        criterion: 'density',
        weight: WEIGHTS.density,
        score,
        reason: `${worstType.instanceType} fits ${worst} workload pods per node in ${worstType.mode} mode${worstType.os === 'windows' ? ' on Windows' : ''} against ${req.podsPerNode} asked (full marks at 1.5× the ask).`,
      })
    }
  }

  // IP budget.
  {
    const total = density.vpcIpsForTotalPods
    const budget = req.podIpBudget
    const drawsOnBudget = f.podIpSource.value === 'vpc-node-subnet'
    if (!ctx.budgetApplies || budget === null) {
      criteria.push({
        criterion: 'podIpBudget',
        weight: 0,
        score: drawsOnBudget ? 50 : 100,
        reason:
          budget === null
            ? `No podIpBudget given; ${drawsOnBudget ? 'pods take VPC addresses from the node subnets' : 'pods take no addresses from the node subnets'}.`
            : 'podIpBudget needs totalPods to be checked; not scored.',
      })
    } else if (!drawsOnBudget) {
      const source = f.podIpSource.value
      const where =
        source === 'vpc-secondary-cidr'
          ? `pods take addresses from ENIConfig subnets in a secondary CIDR${total ? ` (${total.vpcIps} addresses for ${req.totalPods} pods on ${total.nodes} ${total.instanceType} nodes, warm pool included)` : ''}, not from this budget`
          : source === 'vpc-ipv6'
            ? 'pods get IPv6 addresses; each node takes just one IPv4 address'
            : 'pods take addresses from a cluster CIDR outside the VPC; each node takes just its own address'
      criteria.push({ criterion: 'podIpBudget', weight: WEIGHTS.podIpBudget, score: 100, reason: `The ${budget}-address budget is untouched: ${where}.` })
      if (source === 'vpc-secondary-cidr') caveats.push('Size the secondary CIDR for the pods: a 100.64.0.0/16 gives about 65,000 addresses, and each AZ needs its own ENIConfig subnet.')
    } else if (total === null) {
      criteria.push({ criterion: 'podIpBudget', weight: WEIGHTS.podIpBudget, score: 0, reason: `${option.densityMode} cannot place workload pods on the requested types, so the budget cannot be checked.` })
    } else if (prefixBlocks(ctx, total) !== null) {
      // Prefix delegation takes aligned /28 blocks, so subnets are counted in blocks, not addresses: the
      // node addresses are counted as packed into blocks of their own (as a subnet CIDR reservation for the
      // prefixes keeps them); scattered node addresses would break more blocks.
      const { needed, held: blocks } = prefixBlocks(ctx, total) as { needed: number; held: number }
      const reason =
        `${req.totalPods} pods need ${total.nodes} ${total.instanceType} nodes holding ${total.prefixes} /28 prefixes (warm prefixes included) plus ${total.primaries} ENI ` +
        `primary addresses (⌈${total.primaries} ÷ 16⌉ = ${Math.ceil(total.primaries / 16)} blocks): ${needed} aligned /28 blocks of the ${blocks} the subnets hold (each subnet loses its first and last /28 to AWS's reserved addresses).`
      if (needed > blocks) {
        blockers.push({ criterion: 'podIpBudget', reason: `${reason} That is ${needed - blocks} /28 blocks too many.` })
        criteria.push({ criterion: 'podIpBudget', weight: WEIGHTS.podIpBudget, score: 0, reason })
      } else {
        criteria.push({ criterion: 'podIpBudget', weight: WEIGHTS.podIpBudget, score: Math.round(50 + (50 * (blocks - needed)) / Math.max(1, blocks)), reason })
        caveats.push('Prefixes need contiguous free /28 blocks: node addresses scattered through the subnets fragment them (InsufficientCidrBlocks); reserve a CIDR range for prefixes or use fresh subnets.')
      }
    } else {
      const reason = `${req.totalPods} pods need ${total.nodes} ${total.instanceType} nodes taking ${total.vpcIps} VPC addresses (warm pool and ENI primaries included) of the ${budget} available.`
      if (total.vpcIps > budget) {
        blockers.push({ criterion: 'podIpBudget', reason: `${reason} That is ${total.vpcIps - budget} too many.` })
        criteria.push({ criterion: 'podIpBudget', weight: WEIGHTS.podIpBudget, score: 0, reason })
      } else {
        criteria.push({ criterion: 'podIpBudget', weight: WEIGHTS.podIpBudget, score: Math.round(50 + (50 * (budget - total.vpcIps)) / budget), reason })
      }
    }
  }

  // Encryption.
  {
    const enc = encryptionOf(option, ctx)
    const level = req.encryption
    if (level === 'required' && !enc.met) blockers.push({ criterion: 'encryption', reason: enc.reason })
    criteria.push({ criterion: 'encryption', weight: weightFor('encryption', level !== 'none'), score: enc.score, reason: enc.reason })
    if (level !== 'none' && enc.met) {
      if (enc.viaNitro) {
        caveats.push(
          'Nitro in-transit encryption covers traffic between two encryption-capable instances in the same or a peered VPC in one Region; not same-node traffic, not through an NLB/ALB or Transit Gateway, with AWS-managed keys and no workload identity. If compliance needs your own keys or end-to-end mTLS, add WireGuard or a mesh.',
        )
      } else {
        caveats.push(`Encryption: ${option.facts.encryption.value.nodeNeeds} ${option.facts.encryptionCost.note}`)
      }
    }
  }

  // Level needs with a fact each.
  const levelFacts: readonly LevelFact[] = ['multicast', 'networkPolicy', 'securityGroupsForPods', 'flowLogs', 'portability', 'ipv6']
  for (const need of levelFacts) {
    const level = req[need]
    const r = levelFactMet(option, need, ctx)
    if (level === 'required' && !r.met) blockers.push({ criterion: need, reason: r.reason })
    criteria.push({ criterion: need, weight: weightFor(need, level !== 'none'), score: r.score, reason: r.reason })
    if (level !== 'none' && r.met) {
      const partialNote =
        need === 'multicast' && f.multicast.value === 'beta'
          ? f.multicast.note
          : need === 'securityGroupsForPods' && f.securityGroupsForPods.value === 'partial'
            ? f.securityGroupsForPods.note
            : need === 'ipv6' && f.ipv6.value === 'partial'
              ? f.ipv6.note
              : null
      if (partialNote !== null) caveats.push(partialNote)
    }
  }
  const first = types[0] as InstanceType
  if (req.securityGroupsForPods !== 'none' && f.securityGroupsForPods.value !== 'no' && first.trunking) {
    caveats.push(`At most ${first.branchEnis} pods per ${first.name} can have their own security groups (one branch ENI each), and they still count toward max pods.`)
  }
  // On secondary IPs, turning security groups for pods on later changes the density: the trunk ENI takes
  // an ENI slot (EKS security-groups-for-pods; Karpenter RESERVED_ENIS=1), so say what is left.
  if (density.mode === 'secondary-ip' && density.supported && !req.windows && f.securityGroupsForPods.value !== 'no' && first.trunking && first.maxEnis >= 2) {
    const E = first.maxEnis
    const I = first.ipv4PerEni
    caveats.push(
      `With security groups for pods on, the trunk ENI takes one of the ${first.name}'s ${E} ENI slots: (${E} − 1) × (${I} − 1) = ${(E - 1) * (I - 1)} pods ` +
        `without their own security groups fit, plus up to ${first.branchEnis} with them (branch ENIs).`,
    )
  }
  // A platform rule across two facts: EKS IPv6 clusters take no Windows nodes, whatever runs on the VPC CNI.
  if (req.windows && req.ipv6 === 'required' && option.plugin === 'aws-vpc-cni' && !blockers.some((b) => b.criterion === 'ipv6' || b.criterion === 'windows')) {
    blockers.push({ criterion: 'ipv6', reason: 'EKS IPv6 clusters do not support Windows nodes, so with windows=true the VPC CNI cannot run in IPv6 mode.' })
  }
  if (req.windows && f.windows.value !== 'no') caveats.push(f.windows.note)
  if (req.fargate && f.fargate.value !== 'no' && option.plugin === 'aws-vpc-cni') caveats.push('Fargate pods get one VPC address each from the Fargate profile subnets, whatever the EC2 nodes run.')

  // Operational simplicity and support health: always apply.
  const ops = f.operationalComplexity.value
  criteria.push({
    criterion: 'operationalSimplicity',
    weight: WEIGHTS.operationalSimplicity,
    score: Math.max(0, 100 - (ops - 1) * OPS_STEP),
    reason: `Operational complexity ${ops} on a 1-10 scale: ${f.operationalComplexity.note}`,
  })
  const m = f.maintenance.value
  const supportScore = m.status === 'unmaintained' ? 0 : f.awsSupport.value === 'aws-supported' ? 100 : f.awsSupport.value === 'partner-compatible' ? 75 : 50
  criteria.push({
    criterion: 'supportHealth',
    weight: WEIGHTS.supportHealth,
    score: supportScore,
    reason: `${f.awsSupport.note} ${f.maintenance.note}`,
  })

  const score = weightedMean(criteria)
  return { option, blockers, criteria, score, density, perType, caveats: unique(caveats) }
}

function weightedMean(criteria: readonly CriterionScore[]): number {
  let sum = 0
  let weights = 0
  for (const c of criteria) {
    sum += c.weight * c.score
    weights += c.weight
  }
  return weights === 0 ? 0 : Math.max(0, Math.min(100, Math.round(sum / weights)))
}

const unique = (items: readonly string[]): string[] => [...new Set(items)]

function referencesOf(option: CniOption): string[] {
  return unique(Object.values(option.facts).map((fact: { ref: string }) => fact.ref)).sort()
}

/** Fixed tie-break after the score: less operational work first, then id. */
function compareEvaluated(a: Evaluated, b: Evaluated): number {
  const aBlocked = a.blockers.length > 0 ? 1 : 0
  const bBlocked = b.blockers.length > 0 ? 1 : 0
  if (aBlocked !== bBlocked) return aBlocked - bBlocked
  if (a.score !== b.score) return b.score - a.score
  const opsDiff = a.option.facts.operationalComplexity.value - b.option.facts.operationalComplexity.value
  if (opsDiff !== 0) return opsDiff
  return a.option.id < b.option.id ? -1 : a.option.id > b.option.id ? 1 : 0
}

// ---------------------------------------------------------------------------------------------
// Words: explanations and the summary
// ---------------------------------------------------------------------------------------------

/** How to say that options do (plural) or that one does (singular) meet a need. */
const NEED_VERBS: Readonly<Record<BlockerCriterion, { plural: string; singular: string }>> = {
  fargate: { plural: 'run on Fargate', singular: 'runs on Fargate' },
  windows: { plural: 'support Windows nodes', singular: 'supports Windows nodes' },
  multicast: { plural: 'carry pod multicast', singular: 'carries pod multicast' },
  encryption: { plural: 'encrypt pod traffic on these instance types', singular: 'encrypts pod traffic on these instance types' },
  networkPolicy: { plural: 'enforce NetworkPolicy', singular: 'enforces NetworkPolicy' },
  securityGroupsForPods: { plural: 'give pods their own security groups here', singular: 'gives pods their own security groups here' },
  flowLogs: { plural: 'keep pod IPs visible in VPC Flow Logs', singular: 'keeps pod IPs visible in VPC Flow Logs' },
  portability: { plural: 'run the same off AWS', singular: 'runs the same off AWS' },
  ipv6: { plural: 'support IPv6 pods', singular: 'supports IPv6 pods' },
  density: { plural: 'reach that density on these instance types', singular: 'reaches that density on these instance types' },
  podIpBudget: { plural: 'fit the pods into the IP budget', singular: 'fits the pods into the IP budget' },
  maintenance: { plural: 'are maintained projects', singular: 'is a maintained project' },
}

function describeOptions(evs: readonly Evaluated[]): string {
  if (evs.length > 0 && evs.every((e) => e.option.plugin === 'aws-vpc-cni')) return evs.length === 1 ? (evs[0] as Evaluated).option.name : 'the VPC CNI configurations'
  // Names read better, ids are shorter: beyond two options, use ids.
  return list(evs.map((e) => (evs.length > 2 ? e.option.id : e.option.name)))
}

function hardNeeds(req: Requirements): BlockerCriterion[] {
  const needs: BlockerCriterion[] = []
  if (req.fargate) needs.push('fargate')
  if (req.windows) needs.push('windows')
  for (const n of LEVEL_NEEDS) if (req[n] === 'required') needs.push(n)
  needs.push('density')
  if (req.podIpBudget !== null && req.totalPods !== null) needs.push('podIpBudget')
  return needs
}

function conflictSentence(evs: readonly Evaluated[], req: Requirements): { text: string; singleNeed: boolean } {
  const needs = hardNeeds(req).filter((n) => evs.some((e) => e.blockers.some((b) => b.criterion === n)))
  const meeting = (need: BlockerCriterion): Evaluated[] => evs.filter((e) => !e.blockers.some((b) => b.criterion === need))
  for (const need of needs) {
    if (meeting(need).length === 0) {
      if (need === 'density' && req.podsPerNode !== null) {
        const reach = evs.map((e) => ({ e, pods: Math.min(...e.perType.map((m) => m.podsForWorkloads ?? 0)) })).sort((x, y) => y.pods - x.pods)[0]
        if (reach !== undefined) {
          return {
            singleNeed: true,
            text: `${needLabel(need, req)} alone rules out every option: the most any option reaches on ${list(req.instanceTypes)} is ${reach.pods} workload pods per node (${reach.e.option.name}); use larger instance types.`,
          }
        }
      }
      const example = evs[0]?.blockers.find((b) => b.criterion === need)
      return { singleNeed: true, text: `${needLabel(need, req)} alone rules out every option${example ? `: ${example.reason}` : '.'}` }
    }
  }
  for (let i = 0; i < needs.length; i++) {
    for (let j = i + 1; j < needs.length; j++) {
      const a = needs[i] as BlockerCriterion
      const b = needs[j] as BlockerCriterion
      const meetA = meeting(a)
      if (meetA.some((e) => !e.blockers.some((x) => x.criterion === b))) continue
      // The need asked first frames the sentence: "only the VPC CNI runs on Fargate, and none of them carries multicast".
      const [first, second] = [a, b]
      const meetFirst = meetA
      const subject = describeOptions(meetFirst)
      const only = meetFirst.length === 1 ? `only ${subject} ${NEED_VERBS[first].singular}` : `the only options that ${NEED_VERBS[first].plural} are ${subject}`
      const none = meetFirst.length === 1 ? `and it ${NEED_VERBS[second].plural.replace(/^(\w+)/, 'does not $1')}` : `and none of them ${NEED_VERBS[second].singular}`
      return { singleNeed: false, text: `${needLabel(a, req)} and ${needLabel(b, req)} conflict: ${only}, ${none}.` }
    }
  }
  return { singleNeed: false, text: `${list(needs.map((n) => needLabel(n, req)))} cannot all be met together: every option misses at least one of them.` }
}

function mythCorrection(req: Requirements, top: Evaluated | null, evs: readonly Evaluated[]): string | null {
  if (req.multicast !== 'none') {
    return 'Weave Net, the 2018-era answer for pod multicast, is unmaintained (last release January 2021, repository archived); today that need means Antrea’s or Cilium’s multicast (both beta, overlay only), while the VPC CNI and AWS itself carry no pod multicast.'
  }
  if (req.encryption !== 'none') {
    return 'Encryption no longer means Weave Net: Nitro types such as m6i encrypt instance-to-instance traffic in hardware at no cost, and Calico or Cilium add WireGuard where the hardware does not.'
  }
  if (req.networkPolicy !== 'none' && (top?.option.id === 'aws-vpc-cni-network-policy' || top?.option.id === 'eks-auto-mode')) {
    return 'The VPC CNI has enforced NetworkPolicy itself since v1.14 (August 2023), so policy alone is no longer a reason to replace it.'
  }
  if (req.podsPerNode !== null) {
    const secondary = evs.find((e) => e.option.id === 'aws-vpc-cni-secondary-ip')
    const prefix = evs.find((e) => e.option.id === 'aws-vpc-cni-prefix-delegation')
    const s = secondary?.perType[0]
    const p = prefix?.perType[0]
    if (s?.supported && p?.supported && (s.recommendedMaxPods ?? 0) < (p.recommendedMaxPods ?? 0)) {
      return `ENI limits are not the ceiling they were in 2020: ${s.instanceType} runs ${s.recommendedMaxPods} pods with secondary IPs but ${p.recommendedMaxPods} with prefix delegation (2021)${req.windows ? '' : ' or IPv6 (2022)'}.`
    }
  }
  return null
}

function topCriteria(ev: Evaluated, n: number): CriterionScore[] {
  return ev.criteria
    .filter((c) => c.weight > 0)
    .sort((a, b) => b.weight * b.score - a.weight * a.score || CRITERIA.indexOf(a.criterion) - CRITERIA.indexOf(b.criterion))
    .slice(0, n)
}

const CRITERION_WORDS: Readonly<Record<Criterion, string>> = {
  performance: 'performance',
  density: 'pod density',
  podIpBudget: 'IP budget',
  encryption: 'encryption',
  multicast: 'multicast',
  networkPolicy: 'network policy',
  securityGroupsForPods: 'security groups for pods',
  flowLogs: 'flow-log visibility',
  portability: 'portability',
  ipv6: 'IPv6',
  operationalSimplicity: 'operational simplicity',
  supportHealth: 'support/maintenance health',
}

function explanationOf(ev: Evaluated, verdict: Verdict): string {
  const o = ev.option
  const d = ev.density
  const densityText = d.supported
    ? `On ${d.instanceType} it runs ${d.maxPodsPerNode} pods per node (${d.podsForWorkloads} for workloads) following ${d.mode} arithmetic${ev.perType[0]?.os === 'windows' ? ' for Windows nodes' : ''}.`
    : `Its ${d.mode} mode cannot run on ${d.instanceType}.`
  const strengths = topCriteria(ev, 2).map((c) => `${CRITERION_WORDS[c.criterion]} ${Math.round(c.score)}`)
  const weakest = ev.criteria
    .filter((c) => c.weight > 0)
    .sort((a, b) => a.score - b.score || CRITERIA.indexOf(a.criterion) - CRITERIA.indexOf(b.criterion))[0]
  const history =
    o.facts.maintenance.value.status === 'unmaintained'
      ? ` History: ${o.name} was the 2018-2020 answer for multicast and encryption; its last release was ${o.facts.maintenance.value.latestRelease} (${o.facts.maintenance.value.releasedAt}).`
      : ''
  const standing =
    verdict === 'blocked'
      ? `Blocked by ${list(ev.blockers.map((b) => b.criterion))}: ${(ev.blockers[0] as Blocker).reason}${history}`
      : `${verdict === 'recommended' ? 'Recommended' : 'Suitable'} with score ${ev.score}: strongest on ${list(strengths)}${weakest && weakest.score < 70 ? `, weakest on ${CRITERION_WORDS[weakest.criterion]} (${Math.round(weakest.score)})` : ''}.`
  return `${o.description} ${densityText} ${standing}`
}

function summaryOf(sorted: readonly Evaluated[], req: Requirements, satisfiable: boolean): string {
  const top = satisfiable ? (sorted[0] as Evaluated) : null
  const sentences: string[] = []
  if (top !== null) {
    const why = list(topCriteria(top, 2).map((c) => CRITERION_WORDS[c.criterion]))
    sentences.push(`Run ${top.option.name} (${top.option.id}): it meets every required need, scores ${top.score} of 100, and its strongest points are ${why}.`)
    const runnerUp = sorted.find((e, i) => i > 0 && e.blockers.length === 0)
    if (runnerUp !== undefined) {
      const edge = runnerUp.criteria
        .filter((c) => c.weight > 0)
        .map((c) => ({ c, gain: c.score - (top.criteria.find((t) => t.criterion === c.criterion)?.score ?? 0) }))
        .sort((a, b) => b.gain - a.gain || CRITERIA.indexOf(a.c.criterion) - CRITERIA.indexOf(b.c.criterion))[0]
      // An unmaintained project is never "worth it": say what it is better at, and why not to pick it.
      const unmaintained = runnerUp.option.facts.maintenance.value.status === 'unmaintained'
      const better = edge && edge.gain > 0 ? CRITERION_WORDS[edge.c.criterion] : null
      sentences.push(
        unmaintained
          ? `Next is ${runnerUp.option.name} at ${runnerUp.score}${better ? `, stronger on ${better}` : ''}, but it is unmaintained: no fixes, no security updates.`
          : `Next is ${runnerUp.option.name} at ${runnerUp.score}${better ? `, worth it if ${better} matters more to you` : ''}.`,
      )
    }
    const blocked = sorted.filter((e) => e.blockers.length > 0)
    if (blocked.length > 0) {
      const byNeed = unique(blocked.flatMap((e) => e.blockers.map((b) => needLabel(b.criterion, req))))
      sentences.push(`${blocked.length} of ${sorted.length} options are ruled out by ${list(byNeed)}.`)
    }
  } else {
    const conflict = conflictSentence(sorted, req)
    sentences.push(`No option meets every required need. ${conflict.text}`)
    const closest = [...sorted].sort((a, b) => a.blockers.length - b.blockers.length || compareEvaluated(a, b))[0]
    if (closest !== undefined && !conflict.singleNeed) {
      sentences.push(`Closest is ${closest.option.name}, which misses only ${list(closest.blockers.map((b) => needLabel(b.criterion, req)))}; relax that or split the workloads across clusters or node types.`)
    }
  }
  const myth = mythCorrection(req, top, sorted)
  if (myth !== null) {
    if (sentences.length >= 4) sentences.pop()
    sentences.push(myth)
  }
  return sentences.slice(0, 4).join(' ')
}

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

/**
 * Scores every option of the knowledge base against validated, defaulted requirements.
 * `options` defaults to the KB; tests pass a reordered copy to show the ranking does not depend on order.
 * Throws InputError('instanceTypes') naming any type the catalog view does not know.
 */
export function recommend(req: Requirements, catalog: CatalogView, options: readonly CniOption[] = CNI_OPTIONS): RecommendationCore {
  const types = resolveTypes(req, catalog)
  const ctx: Context = {
    req,
    types,
    nitroEncrypts: types.every((t) => t.encryptionInTransit === true),
    budgetApplies: req.podIpBudget !== null && req.totalPods !== null,
  }
  const sorted = options.map((o) => evaluate(o, ctx)).sort(compareEvaluated)
  const satisfiable = sorted.some((e) => e.blockers.length === 0)
  const scored: ScoredOption[] = sorted.map((ev, i) => {
    const verdict: Verdict = ev.blockers.length > 0 ? 'blocked' : i === 0 ? 'recommended' : 'suitable'
    return {
      id: ev.option.id,
      plugin: ev.option.plugin,
      variant: ev.option.variant,
      name: ev.option.name,
      score: ev.score,
      verdict,
      blockers: ev.blockers,
      criteria: ev.criteria.map((c) => ({ ...c, score: Math.round(c.score) })),
      density: ev.density,
      caveats: ev.caveats,
      explanation: explanationOf(ev, verdict),
      references: referencesOf(ev.option),
    }
  })
  return {
    recommendation: satisfiable ? (scored[0] as ScoredOption) : null,
    satisfiable,
    options: scored,
    summary: summaryOf(sorted, req, satisfiable),
    requirements: req,
  }
}
