// The words of an answer: each option's explanation, the summary, and the sentence that says why no
// option fits. Reads evaluated options only; it never changes a score, a blocker or the ranking.
import { LEVEL_NEEDS, type Requirements } from '../types.js'
import { CRITERIA, unique, type Blocker, type BlockerCriterion, type Criterion, type CriterionScore, type Evaluated, type Verdict } from './model.js'
import { compareEvaluated } from './rank.js'

/** "a, b and c": how every list in the answer is joined. */
export const list = (items: readonly string[], conjunction = 'and'): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`

/** A need as the team asked for it, e.g. `podsPerNode=110` or `fargate=true`. */
export const needLabel = (need: BlockerCriterion, req: Requirements): string => {
  switch (need) {
    case 'fargate':
    case 'windows':
      return `${need}=true`
    case 'density':
      return req.podsPerNode === null ? `instanceTypes=${req.instanceTypes.join(',')}` : `podsPerNode=${req.podsPerNode}`
    case 'podIpBudget':
      return req.podSubnets ? `podSubnets=${req.podSubnets.join(',')}` : `podIpBudget=${req.podIpBudget ?? ''}`
    case 'maintenance':
      return 'being unmaintained (archived projects)'
    default:
      return `${need}=${req[need]}`
  }
}

/** How to say that options do (plural) or that one does (singular) meet a need. */
export const NEED_VERBS: Readonly<Record<BlockerCriterion, { plural: string; singular: string }>> = {
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

/** The needs that can block this request, in a fixed order (platform, level needs, density, budget): the order a conflict is told in. */
function hardNeeds(req: Requirements): BlockerCriterion[] {
  const needs: BlockerCriterion[] = []
  if (req.fargate) needs.push('fargate')
  if (req.windows) needs.push('windows')
  for (const n of LEVEL_NEEDS) if (req[n] === 'required') needs.push(n)
  needs.push('density')
  if (req.podIpBudget !== null && req.totalPods !== null) needs.push('podIpBudget')
  return needs
}

/**
 * Why no option fits, when none does: one need that rules out every option on its own, else the first
 * pair of needs no option meets together, else all of them. `singleNeed` tells the summary that there is
 * no "closest option" worth naming.
 */
export function conflictSentence(evs: readonly Evaluated[], req: Requirements): { text: string; singleNeed: boolean } {
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

/** The first outdated belief (from the 2018-2021 advice) this request touches, corrected; null when none does. */
export function mythCorrection(req: Requirements, top: Evaluated | null, evs: readonly Evaluated[]): string | null {
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

/** The n criteria that add most to the score (weight × score); CRITERIA order breaks ties. */
function topCriteria(ev: Evaluated, n: number): CriterionScore[] {
  return ev.criteria
    .filter((c) => c.weight > 0)
    .sort((a, b) => b.weight * b.score - a.weight * a.score || CRITERIA.indexOf(a.criterion) - CRITERIA.indexOf(b.criterion))
    .slice(0, n)
}

/** Criterion names as a sentence says them. */
export const CRITERION_WORDS: Readonly<Record<Criterion, string>> = {
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

/** One option in a few sentences: what it is, its density on the first type, and why it stands where it does. */
export function explanationOf(ev: Evaluated, verdict: Verdict): string {
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

/** The answer in at most four sentences: what to run and what comes next, or why nothing fits; then a myth corrected. */
export function summaryOf(sorted: readonly Evaluated[], req: Requirements, satisfiable: boolean): string {
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
