// The density of one option for one request: which mode its pods run in on each requested type, how many
// fit, and how many VPC addresses the cluster then takes. Worked out once per option, before any
// criterion, because the density, IP-budget and caveat rules all read the same numbers.
import type { CniOption } from '../cni-options.js'
import { subnetBudget, subnetPrefixBlocks } from '../cidr.js'
import { maxPods, usesPrefixes, type MaxPodsResult } from '../density.js'
import type { InstanceType, Mode, NodeOs, Requirements } from '../types.js'
import { clusterVpcIpsCounts, nodeVpcIpsCounts, spreadPods } from '../vpc-ips.js'
import type { Context, DensityOfOption, InstanceDensity, OptionDensity } from './model.js'

/** The nodes' OS for an option's density: Windows arithmetic where the cluster has Windows nodes and the option runs there. */
function densityOs(option: CniOption, req: Requirements): NodeOs {
  return req.windows && option.facts.windows.value !== 'no' ? 'windows' : 'linux'
}

/**
 * The modes an option can run its pods in, first choice first. In an IPv6 cluster every option on the VPC
 * CNI's IPAM runs the IPv6 mode (prefix arithmetic, Nitro only: EKS cni-ipv6); otherwise its densityMode,
 * then its fallbackMode (a policy add-on runs on secondary IPs where prefixes cannot, or do not fit).
 */
export function modeChoices(option: CniOption, req: Requirements): Mode[] {
  // (With Windows nodes an IPv6 cluster is ruled out by its own blocker, so density need not say it again.)
  if (req.ipv6 === 'required' && !req.windows && option.facts.podIpSource.value === 'vpc-node-subnet' && option.facts.ipv6.value !== 'no' && option.densityMode !== 'secondary-ip') {
    return ['ipv6']
  }
  return option.fallbackMode === undefined ? [option.densityMode] : [option.densityMode, option.fallbackMode]
}

/** The option's density on one type in one mode, with the option's own max-pods cap (Auto Mode: 110). */
export function densityIn(option: CniOption, it: InstanceType, mode: Mode, req: Requirements): MaxPodsResult {
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

/**
 * Densities already worked out for one request (its Context), by what they depend on: the mode choices, the
 * nodes' OS, the option's cap and where its pod addresses come from. The 17 options run in far fewer
 * distinct ways (every policy add-on on the VPC CNI's secondary IPs is one), so one recommendation works each
 * out once; the result is frozen because options then share it.
 */
const byContext = new WeakMap<Context, Map<string, DensityOfOption>>()

export function densityOf(option: CniOption, ctx: Context): DensityOfOption {
  const choices = modeChoices(option, ctx.req)
  const key = `${choices.join(',')}|${densityOs(option, ctx.req)}|${option.maxPodsCap?.value ?? ''}|${option.maxPodsCap?.reason ?? ''}|${option.facts.podIpSource.value}`
  let known = byContext.get(ctx)
  if (known === undefined) byContext.set(ctx, (known = new Map()))
  let found = known.get(key)
  if (found === undefined) known.set(key, (found = Object.freeze(workOutDensity(option, ctx, choices))))
  return found
}

function workOutDensity(option: CniOption, ctx: Context, choices: readonly Mode[]): DensityOfOption {
  const { req, types } = ctx
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
      // A full node: its workload pods and DaemonSet pods, but never more than its slots hold (DaemonSets
      // can ask for more than a tiny type has: t3.nano in custom networking fits 1 address-taking pod).
      const pods = Math.min(m.podsForWorkloads + req.daemonSetsPerNode, (m.recommendedMaxPods ?? 0) - m.hostNetworkPods)
      // The number only: a node's VPC-IP working in words is shown by capacity plans, not here.
      vpcIpsPerNode = nodeVpcIpsCounts(it, m.mode, Math.max(0, pods), nodeOptsFor(m)).total
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
  for (const row of rows) Object.freeze(row)
  Object.freeze(perType)
  return { perType, density: Object.freeze(density) }
}

/** Every type runs the mode and reaches podsPerNode (when asked). */
export function reaches(perType: readonly MaxPodsResult[], req: Requirements): boolean {
  return perType.every((m) => m.supported && (req.podsPerNode === null || (m.podsForWorkloads ?? 0) >= req.podsPerNode))
}

/** The /28 blocks a prefix-mode cluster needs from podSubnets, and the blocks they hold; null when not counted in blocks. */
export function prefixBlocks(ctx: Context, total: NonNullable<OptionDensity['vpcIpsForTotalPods']>): { needed: number; held: number } | null {
  if (ctx.req.podSubnets === null || !usesPrefixes(total.mode)) return null
  return { needed: total.prefixes + Math.ceil(total.primaries / 16), held: subnetPrefixBlocks(subnetBudget(ctx.req.podSubnets).subnets) }
}

/** The cluster's VPC addresses fit podIpBudget (in /28 blocks under prefixes with podSubnets), or no budget applies. */
export function budgetFits(option: CniOption, ctx: Context, total: OptionDensity['vpcIpsForTotalPods']): boolean {
  if (!ctx.budgetApplies || ctx.req.podIpBudget === null || option.facts.podIpSource.value !== 'vpc-node-subnet') return true
  if (total === null) return false
  const blocks = prefixBlocks(ctx, total)
  return blocks === null ? total.vpcIps <= ctx.req.podIpBudget : blocks.needed <= blocks.held
}

/** Addresses the cluster takes for totalPods on each type; the largest is what a budget must hold. */
export function clusterIps(option: CniOption, ctx: Context, perType: MaxPodsResult[]): OptionDensity['vpcIpsForTotalPods'] {
  const { req, types } = ctx
  if (req.totalPods === null) return null
  let worst: NonNullable<OptionDensity['vpcIpsForTotalPods']> | null = null
  perType.forEach((m, i) => {
    if (!m.supported || m.podsForWorkloads === null || m.podsForWorkloads < 1 || req.totalPods === null) return
    const nodes = Math.ceil(req.totalPods / m.podsForWorkloads)
    const pods = spreadPods(req.totalPods, nodes, req.daemonSetsPerNode)
    const ips = clusterVpcIpsCounts(types[i] as InstanceType, m.mode, pods, nodeOptsFor(m))
    const fromPodIpBudget = option.facts.podIpSource.value === 'vpc-node-subnet'
    const prefixes = ips.groups.reduce((n, g) => n + g.nodes * g.perNode.prefixes, 0)
    if (worst === null || ips.total > worst.vpcIps) {
      worst = { instanceType: m.instanceType, mode: m.mode, nodes, vpcIps: ips.total, prefixes, primaries: ips.nodeSubnetIps, fromPodIpBudget }
    }
  })
  return worst
}
