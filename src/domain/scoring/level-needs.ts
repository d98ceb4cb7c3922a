// Criteria `multicast`, `networkPolicy`, `securityGroupsForPods`, `flowLogs`, `portability` and `ipv6`:
// the level needs that each read one fact of the option. Each applies when preferred or required, and a
// required need the option does not meet blocks it. They share one rule (levelNeed) and differ only in
// how their fact is read (FACTS). `encryption`, also a level need, has its own module: it depends on the
// instance types as well as on the CNI.
//
// NetworkPolicy: the plain VPC CNI modes do NOT meet a networkPolicy need. The add-on ships a policy
// agent, but it is off by default (enableNetworkPolicy=false); turning it on is its own option,
// aws-vpc-cni-network-policy, so the answer names the configuration that actually enforces policy.
// That option (and the Calico/Cilium chained ones) is shown on prefix delegation so that
// "policy + density" is not a false conflict (see cni-options.ts densityModeWhy).
import { POLICY_DEPTHS, type CniOption, type MulticastSupport, type PolicyDepth, type Support } from '../cni-options.js'
import type { InstanceType } from '../types.js'
import { list } from './explain.js'
import { outcome, scoreOf, type Blocker, type Context, type CriterionRule, type OptionDensity } from './model.js'

// Score tables: how facts become 0-100. Kept here, not in the KB, so the KB stays facts only.
const MULTICAST_SCORE: Readonly<Record<MulticastSupport, number>> = { yes: 100, beta: 80, none: 0 }
const POLICY_SCORE: Readonly<Record<PolicyDepth, number>> = { l7: 100, rich: 85, basic: 65, none: 0 }
const SUPPORT_SCORE: Readonly<Record<Support, number>> = { yes: 100, partial: 55, no: 0 }

type LevelFact = 'multicast' | 'networkPolicy' | 'securityGroupsForPods' | 'flowLogs' | 'portability' | 'ipv6'

interface LevelFinding {
  met: boolean
  score: number
  reason: string
}

function supportMeets(need: LevelFact, value: Support): boolean {
  // Portability needs the whole configuration to move; `partial` there means the IPAM does not.
  return need === 'portability' ? value === 'yes' : value !== 'no'
}

/** How each need reads its fact: met or not, a 0-100 depth, and the reason shown. */
const FACTS: Readonly<Record<LevelFact, (option: CniOption, ctx: Context) => LevelFinding>> = {
  multicast: (option) => {
    const f = option.facts
    const v = f.multicast.value
    const what = v === 'yes' ? 'carries pod multicast' : v === 'beta' ? 'carries pod multicast (beta)' : 'has no pod multicast'
    return { met: v !== 'none', score: MULTICAST_SCORE[v], reason: `${option.name} ${what}: ${f.multicast.note}` }
  },
  networkPolicy: (option) => {
    const f = option.facts
    const v = f.networkPolicy.value
    const depth = v === 'none' ? 'enforces no NetworkPolicy' : `enforces NetworkPolicy (${v === 'basic' ? 'Kubernetes L3/L4' : v === 'rich' ? 'L3/L4 plus a richer policy API' : 'up to L7 and FQDN'})`
    return { met: POLICY_DEPTHS.indexOf(v) >= POLICY_DEPTHS.indexOf('basic'), score: POLICY_SCORE[v], reason: `${option.name} ${depth}: ${f.networkPolicy.note}` }
  },
  securityGroupsForPods: (option, ctx) => {
    const f = option.facts
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
  },
  flowLogs: (option) => {
    const f = option.facts
    const v = f.podIpsVisibleInVpc.value
    return {
      met: supportMeets('flowLogs', v),
      score: SUPPORT_SCORE[v],
      reason: `${v === 'no' ? 'Pod IPs are hidden from VPC Flow Logs and security groups' : 'Pod IPs are visible in VPC Flow Logs and to security groups'}: ${f.podIpsVisibleInVpc.note}`,
    }
  },
  portability: (option) => {
    const f = option.facts
    const v = f.portability.value
    const what = v === 'yes' ? 'runs the same off AWS' : v === 'partial' ? 'is only partly portable' : 'is AWS-only'
    return { met: supportMeets('portability', v), score: SUPPORT_SCORE[v], reason: `${option.name} ${what}: ${f.portability.note}` }
  },
  ipv6: (option) => {
    const f = option.facts
    const v = f.ipv6.value
    const what = v === 'yes' ? 'supports IPv6 pods' : v === 'partial' ? 'supports IPv6 pods with limits' : 'does not support IPv6 pods'
    return { met: supportMeets('ipv6', v), score: SUPPORT_SCORE[v], reason: `${option.name} ${what}: ${f.ipv6.note}` }
  },
}

/** A need met with limits (beta multicast, partial security groups or IPv6) says the limits as a caveat. */
function limitNote(option: CniOption, need: LevelFact): string | null {
  const f = option.facts
  if (need === 'multicast' && f.multicast.value === 'beta') return f.multicast.note
  if (need === 'securityGroupsForPods' && f.securityGroupsForPods.value === 'partial') return f.securityGroupsForPods.note
  if (need === 'ipv6' && f.ipv6.value === 'partial') return f.ipv6.note
  return null
}

function levelNeed(need: LevelFact): CriterionRule {
  return (option, ctx) => {
    const level = ctx.req[need]
    const r = FACTS[need](option, ctx)
    const blockers: Blocker[] = level === 'required' && !r.met ? [{ criterion: need, reason: r.reason }] : []
    const note = level !== 'none' && r.met ? limitNote(option, need) : null
    return outcome(scoreOf(need, level !== 'none', r.score, r.reason), blockers, note === null ? [] : [note])
  }
}

export const multicast = levelNeed('multicast')
export const networkPolicy = levelNeed('networkPolicy')
export const securityGroupsForPods = levelNeed('securityGroupsForPods')
export const flowLogs = levelNeed('flowLogs')
export const portability = levelNeed('portability')
export const ipv6 = levelNeed('ipv6')

/**
 * What security groups for pods cost in pods on the first requested type. Not part of the
 * securityGroupsForPods rule: the trunk-ENI note is said whatever the need's level, and both notes
 * follow every criterion's caveats in the answer, so evaluate() adds them after the table.
 */
export function securityGroupCaveats(option: CniOption, ctx: Context, density: OptionDensity): string[] {
  const { req } = ctx
  const f = option.facts
  const first = ctx.types[0] as InstanceType
  const caveats: string[] = []
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
  return caveats
}
